/// What the TOML library must not be handed, found first with its line: TOML calls each of
/// these a syntax error, but the library's key parser asserts on them (a lone `[`, `[书]` or
/// `[!x]` stops the process instead of answering).
/// - a character beyond ASCII outside strings and comments (text goes in strings);
/// - a control character anywhere but a tab or a line's end;
/// - a table header whose name does not start with a bare key's character or a quote;
/// - a `}` where an array is open.
enum TOMLText {
    struct Problem: Equatable {
        var line: Int
        var message: String
    }

    static func problem(_ text: String) -> Problem? {
        enum State { case plain, comment, basic, literal, multiBasic, multiLiteral }
        let s = Array(text.unicodeScalars)
        var state = State.plain, line = 1, i = 0
        var brackets = Brackets()
        func starts(_ quote: Unicode.Scalar, count: Int, at j: Int) -> Bool {
            j + count <= s.count && s[j..<(j + count)].allSatisfy { $0 == quote }
        }
        /// A multi-line string's end: three quotes, and up to two more that belong to it.
        func close(_ quote: Unicode.Scalar) {
            i += 3
            var extra = 0
            while extra < 2, i < s.count, s[i] == quote { i += 1; extra += 1 }
            state = .plain
        }
        while i < s.count {
            let c = s[i]
            if c == "\n" {
                line += 1
                // A comment ends with its line; so does a one-line string (left unclosed: the
                // library says so).
                if state == .comment || state == .basic || state == .literal { state = .plain }
                brackets.newLine(plain: state == .plain)
                i += 1
                continue
            }
            if c.value < 0x20 && c != "\t" && c != "\r" || c.value == 0x7f {
                return Problem(line: line, message: "a control character (U+\(hex(c.value))) is not TOML")
            }
            switch state {
            case .plain:
                if let bad = brackets.see(s, at: i) { return Problem(line: line, message: bad) }
                if c == "#" {
                    state = .comment
                } else if c == "\"" || c == "'" {
                    if starts(c, count: 3, at: i) {
                        state = c == "\"" ? .multiBasic : .multiLiteral
                        i += 3
                        continue
                    }
                    state = c == "\"" ? .basic : .literal
                } else if !c.isASCII {
                    return Problem(line: line, message: "\(Character(c)) outside quotes (keys, table names and values are ASCII; text goes in \"...\")")
                }
            case .comment:
                break
            case .basic, .multiBasic:
                if c == "\\" {
                    // An escape takes the next character with it (a newline, in a multi-line one).
                    if i + 1 < s.count, s[i + 1] == "\n" { line += 1 }
                    i += 2
                    continue
                }
                if state == .basic, c == "\"" { state = .plain }
                if state == .multiBasic, starts("\"", count: 3, at: i) {
                    close("\"")
                    continue
                }
            case .literal:
                if c == "'" { state = .plain }
            case .multiLiteral:
                if starts("'", count: 3, at: i) {
                    close("'")
                    continue
                }
            }
            i += 1
        }
        return nil
    }

    /// Table headers, arrays and inline tables, as plain text (outside strings and
    /// comments) opens and closes them.
    struct Brackets {
        /// Only spaces and tabs since the line began: where a table header may start.
        var lineStart = true
        var inHeader = false
        /// The arrays (`[`) and inline tables (`{`) open around this point of a value.
        var open: [Unicode.Scalar] = []

        mutating func newLine(plain: Bool) {
            lineStart = plain
            inHeader = false
        }

        /// Why the plain character at `i` cannot be handed to the library, or nil.
        mutating func see(_ s: [Unicode.Scalar], at i: Int) -> String? {
            let c = s[i]
            defer { if c != " " && c != "\t" { lineStart = false } }
            if lineStart, open.isEmpty, c == "[" {
                inHeader = true
                return TOMLText.tableName(s, after: i)
            }
            guard !inHeader else { return nil }
            switch c {
            case "[", "{": open.append(c)
            case "]" where open.last == "[": open.removeLast()
            case "}" where open.last == "[": return "} where an array is open (it ends with ])"
            case "}" where open.last == "{": open.removeLast()
            default: break
            }
            return nil
        }
    }

    /// Why the table header opening at `open` has no name the library can read, or nil.
    static func tableName(_ s: [Unicode.Scalar], after open: Int) -> String? {
        var j = open + 1
        if j < s.count, s[j] == "[" { j += 1 }
        while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
        guard j < s.count else { return "a table header without its name" }
        let c = s[j]
        // (Beyond ASCII the scan goes on to say what it is: a character outside quotes.)
        guard c.isASCII else { return nil }
        let readable = ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "_-\"']".unicodeScalars.contains(c)
        return readable ? nil : "a table header whose name does not start with a letter, a digit, _, - or a quote"
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
