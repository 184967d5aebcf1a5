/// A CSV file as rows of fields (RFC 4180: quoted fields may hold commas, quotes doubled,
/// and line breaks), each row with its line number for error messages. Pure.
public struct CSVTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var fields: [String]
    }

    public var rows: [Row]

    /// A line that is not CSV, or not the record expected.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var reason: String
        /// The reason in Chinese, for the console's pages.
        public var zh: String
        public var description: String { "line \(line): \(reason)" }
    }

    public init(parsing text: String) throws(ParseError) {
        rows = []
        var field = "", fields: [String] = []
        var quoted = false, wasQuoted = false
        var line = 1, rowLine = 1
        var chars = Array(text.unicodeScalars)[...]
        func endRow() {
            fields.append(field)
            // Blank lines are skipped.
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []
            field = ""
            wasQuoted = false
        }
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else { throw ParseError(line: line, reason: "a quote inside an unquoted field", zh: "未加引号的字段中出现了引号") }
                quoted = true
                wasQuoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                endRow()
                line += 1
                rowLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw ParseError(line: rowLine, reason: "a quoted field is never closed", zh: "引号没有闭合") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRow() }
    }

    /// The records of a file's bytes (``records(columns:headerFirstField:)``), a leading
    /// byte order mark skipped; bytes that are not UTF-8 are refused with what to do.
    public static func records(_ bytes: some Collection<UInt8>, columns: Int, headerFirstField: String) throws(ParseError) -> [Row] {
        // Excel's and WPS's "CSV UTF-8" starts with a byte order mark: not part of the header.
        let bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : Array(bytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(line: 1, reason: "the file is not UTF-8 text (saved as GBK? save it as UTF-8)", zh: "文件不是 UTF-8 编码（是否存成了 GBK？请另存为 UTF-8）")
        }
        return try CSVTable(parsing: text).records(columns: columns, headerFirstField: headerFirstField)
    }

    /// The rows after an optional header whose first field is `headerFirstField`, each
    /// checked to have `columns` fields.
    public func records(columns: Int, headerFirstField: String) throws(ParseError) -> [Row] {
        var out = rows
        if let first = out.first, first.fields.first?.lowercased() == headerFirstField { out.removeFirst() }
        for row in out where row.fields.count != columns {
            throw ParseError(line: row.line, reason: "expected \(columns) fields, found \(row.fields.count)", zh: "应有 \(columns) 个字段，实有 \(row.fields.count) 个")
        }
        return out
    }
}
