/// A Code 128 symbol (ISO/IEC 15417), the symbology of the site-printed item labels and
/// the control cards. Pure: no I/O.
///
/// Code sets are chosen for the fewest symbols (the shortest bar code, so the most labels
/// on a sheet and the easiest read): a shortest path over (position, code set), which
/// gives the usual rules of ISO/IEC 15417 Annex E — Code C for four or more digits at the
/// start or the end and six or more in the middle, Code B for printable text, Code A
/// only where a control character is needed, SHIFT for a lone character of the other set.
///
/// ```swift
/// let code = try Code128("LIB-000123")
/// code.widths    // bar, space, bar, … in modules, start code through stop pattern
/// ```
public struct Code128: Sendable, Equatable {
    public enum CodeSet: Sendable, Equatable, CaseIterable {
        /// Uppercase, digits, punctuation and the control characters 0–31.
        case a
        /// Printable ASCII 32–127, lowercase included.
        case b
        /// Pairs of digits, one symbol per pair.
        case c
    }

    /// Why a text cannot be a Code 128 symbol.
    public struct EncodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            case empty
            /// Code 128 carries ASCII (0–127) only; `offset` counts Unicode scalars.
            case notASCII(Unicode.Scalar, offset: Int)
        }

        public var reason: Reason

        public var description: String {
            switch reason {
            case .empty: "a Code 128 symbol needs at least one character"
            case .notASCII(let scalar, let offset):
                "Code 128 carries ASCII only: \"\(scalar)\" (U+\(String(scalar.value, radix: 16, uppercase: true))) at character \(offset + 1) cannot be encoded"
            }
        }
    }

    /// Light modules each side that a reader needs to find the symbol (the standard's
    /// minimum); the renderer draws them, the symbol does not include them.
    public static let quietZoneModules = 10

    /// The encoded text.
    public let text: String
    /// The symbol values, start code through check symbol (the stop pattern has no value).
    public let symbols: [Int]
    /// The code set the start code selects.
    public let startSet: CodeSet

    /// The check symbol: the start value plus each data value times its position, mod 103.
    public var checkSymbol: Int { symbols[symbols.count - 1] }

    /// Bar and space widths in modules, alternating from a bar: every symbol's six
    /// elements, then the stop pattern's seven.
    public var widths: [Int] { symbols.flatMap { Self.patterns[$0] } + Self.stopPattern }

    /// Modules from the start code's first bar to the stop pattern's last: 11 per symbol
    /// and 13 for the stop pattern.
    public var moduleCount: Int { 11 * symbols.count + 13 }

    /// One entry per module, `true` dark, without the quiet zones.
    public var modules: [Bool] {
        widths.enumerated().flatMap { index, width in Array(repeating: index % 2 == 0, count: width) }
    }

    /// Dark runs as (first module, width), for drawing one rectangle per bar.
    public var bars: [(start: Int, width: Int)] {
        var result: [(start: Int, width: Int)] = []
        var x = 0
        for (index, width) in widths.enumerated() {
            if index % 2 == 0 { result.append((x, width)) }
            x += width
        }
        return result
    }

    public init(_ text: String) throws(EncodingError) {
        var bytes: [UInt8] = []
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard scalar.isASCII else { throw EncodingError(reason: .notASCII(scalar, offset: offset)) }
            bytes.append(UInt8(scalar.value))
        }
        guard !bytes.isEmpty else { throw EncodingError(reason: .empty) }
        let plan = Planner(bytes)
        self.text = text
        startSet = plan.start
        let data = plan.values()
        let start = Self.startValue[plan.start]!
        let weighted = data.enumerated().reduce(start) { ($0 + ($1.offset + 1) * $1.element) % 103 }
        symbols = [start] + data + [weighted]
    }
}

// MARK: - Code sets

extension Code128 {
    static let startValue: [CodeSet: Int] = [.a: 103, .b: 104, .c: 105]
    static let shift = 98
    /// The symbol that switches to a set (CODE C 99, CODE B 100, CODE A 101).
    static let switchValue: [CodeSet: Int] = [.c: 99, .b: 100, .a: 101]

    /// The value of one character in set A or B; nil where the set lacks it.
    static func value(of byte: UInt8, in set: CodeSet) -> Int? {
        switch set {
        case .a: byte < 32 ? Int(byte) + 64 : byte < 96 ? Int(byte) - 32 : nil
        case .b: byte >= 32 ? Int(byte) - 32 : nil
        case .c: nil
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// The fewest symbols for the text: `cost[i][set]` is the fewest data symbols for
    /// `bytes[i...]` when `set` is in force at `i`. Ties keep the set in force (fewer
    /// switches), then prefer C, B, A, so a digit run of even length at the start is
    /// Code C and plain text is Code B.
    struct Planner {
        enum Step { case character, pair, shifted }
        let bytes: [UInt8]
        private(set) var start: CodeSet = .b
        /// Per position and set: the step taken there and the set it is taken in.
        private var choice: [[CodeSet: (set: CodeSet, step: Step)]]
        private var cost: [[CodeSet: Int]]
        static let preference: [CodeSet] = [.c, .b, .a]

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            let n = bytes.count
            cost = Array(repeating: [.a: 0, .b: 0, .c: 0], count: n + 1)
            choice = Array(repeating: [:], count: n + 1)
            for i in stride(from: n - 1, through: 0, by: -1) {
                var consume: [CodeSet: (cost: Int, step: Step)] = [:]
                for set in CodeSet.allCases { consume[set] = step(at: i, in: set) }
                for set in CodeSet.allCases {
                    var best = consume[set].map { (cost: $0.cost, set: set, step: $0.step) }
                    for other in Self.preference where other != set {
                        guard let c = consume[other], c.step != .shifted, best == nil || 1 + c.cost < best!.cost else { continue }
                        best = (1 + c.cost, other, c.step)
                    }
                    // Every ASCII character is in A or B, so a step always exists.
                    cost[i][set] = best!.cost
                    choice[i][set] = (best!.set, best!.step)
                }
            }
            let first = Self.preference.compactMap { set in consume(at: 0, in: set).map { (set, $0) } }
            start = first.min { $0.1 < $1.1 }!.0
        }

        /// The cheapest step at `i` that stays in `set`: one character, a digit pair, or
        /// a shifted character; with the cost of the rest.
        private func step(at i: Int, in set: CodeSet) -> (cost: Int, step: Step)? {
            if set == .c {
                guard i + 1 < bytes.count, Code128.isDigit(bytes[i]), Code128.isDigit(bytes[i + 1]) else { return nil }
                return (1 + cost[i + 2][.c]!, .pair)
            }
            if Code128.value(of: bytes[i], in: set) != nil { return (1 + cost[i + 1][set]!, .character) }
            return (2 + cost[i + 1][set]!, .shifted)
        }

        private func consume(at i: Int, in set: CodeSet) -> Int? {
            step(at: i, in: set).map(\.cost)
        }

        /// The data values along the chosen path.
        func values() -> [Int] {
            var values: [Int] = []
            var set = start
            var i = 0
            while i < bytes.count {
                let (next, step) = choice[i][set]!
                if next != set {
                    values.append(Code128.switchValue[next]!)
                    set = next
                }
                switch step {
                case .pair:
                    values.append(Int(bytes[i] - 48) * 10 + Int(bytes[i + 1] - 48))
                    i += 2
                case .character:
                    values.append(Code128.value(of: bytes[i], in: set)!)
                    i += 1
                case .shifted:
                    values.append(Code128.shift)
                    values.append(Code128.value(of: bytes[i], in: set == .a ? .b : .a)!)
                    i += 1
                }
            }
            return values
        }
    }
}

// MARK: - Patterns

extension Code128 {
    /// Bar/space widths of values 0–105 (ISO/IEC 15417 Table 1): three bars and three
    /// spaces, eleven modules, an even number of them dark.
    static let patterns: [[Int]] = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232",
    ].map { $0.map { Int(String($0))! } }

    /// The stop pattern with its terminating bar: thirteen modules.
    static let stopPattern = [2, 3, 3, 1, 1, 1, 2]
}
