import Foundation

/// A value bound to a statement or read from a row: the few types the hub's tables hold.
public enum SQLValue: Sendable, Equatable, Hashable, Encodable {
    case int(Int64), real(Double), text(String), null

    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    public init(_ value: Int?) { self = value.map { .int(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .int(value ? 1 : 0) }

    public var int: Int64? {
        switch self {
        case .int(let v): v
        case .real(let v): Int64(exactly: v.rounded(.towardZero))
        case .text(let v): Int64(v)
        case .null: nil
        }
    }

    public var text: String? {
        switch self {
        case .text(let v): v
        case .int(let v): String(v)
        case .real(let v): String(v)
        case .null: nil
        }
    }

    public var bool: Bool { (int ?? 0) != 0 }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .real(let v): try c.encode(v)
        case .text(let v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }
}

/// A row: values in the order the statement selected them.
public typealias SQLRow = [SQLValue]

/// One statement with `?` placeholders and its arguments. The same text runs on both
/// engines: PostgreSQL's engine numbers the placeholders (`$1`, `$2`, …) itself.
public struct SQLStatement: Sendable, Equatable {
    public var text: String
    public var arguments: [SQLValue]

    public init(_ text: String, _ arguments: [SQLValue] = []) {
        self.text = text
        self.arguments = arguments
    }

    /// `(?, ?, ?)` for `count` values (`(NULL)` for none, which matches nothing).
    public static func list(_ count: Int) -> String {
        count == 0 ? "(NULL)" : "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }

    /// Most values one statement binds: under SQLite's 32,766 and PostgreSQL's 65,535.
    static let maxArguments = 30_000

    /// `INSERT INTO table (columns) VALUES (...), (...) suffix`, as few statements as the
    /// argument limit allows (none for no rows).
    public static func insert(into table: String, columns: [String], rows: [[SQLValue]], suffix: String = "") -> [SQLStatement] {
        let perStatement = max(1, maxArguments / max(1, columns.count))
        let tuple = list(columns.count)
        return stride(from: 0, to: rows.count, by: perStatement).map { start in
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            let values = Array(repeating: tuple, count: chunk.count).joined(separator: ", ")
            return SQLStatement(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values)" + (suffix.isEmpty ? "" : " " + suffix),
                chunk.flatMap { $0 })
        }
    }

    /// Keys in runs small enough for one statement's `IN (...)` each.
    public static func chunks<T>(_ values: [T], size: Int = 1000) -> [[T]] {
        stride(from: 0, to: values.count, by: size).map { Array(values[$0..<min(values.count, $0 + size)]) }
    }
}

/// What differs between the engines' SQL; everything else is written once.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    // MARK: Schema

    /// A 64-bit integer column.
    var integer: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// Whether a report that groups hundreds of thousands of rows reads them and groups them
    /// in Swift (``LoanRanking``): SQLite's rows leave its process for nothing and its
    /// `GROUP BY` sorts them (at 1,000,000 events most-borrowed took 1.5 s in SQL, 0.9 s
    /// so; restock 1.0 and 0.84 s); PostgreSQL hashes them where they are, and each row it
    /// sends crosses a socket (restock 0.85 s in SQL, 1.25 s sent; most-borrowed 1.5 s
    /// either way: three runs of each, alternately, on one union).
    var groupsLargeSetsInProcess: Bool { self == .sqlite }
    /// A column numbered by the database.
    var serialKey: String { self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY" }
    /// After a table's definition: SQLite checks column types only in STRICT tables.
    var strict: String { self == .sqlite ? " STRICT" : "" }
    /// After a table whose primary key is how it is read (SQLite clusters it).
    var clustered: String { self == .sqlite ? " STRICT, WITHOUT ROWID" : "" }

    // MARK: Queries

    /// `YYYY-MM` (UTC) of a time in milliseconds.
    func month(_ ms: String) -> String {
        switch self {
        case .sqlite: "strftime('%Y-%m', \(ms) / 1000, 'unixepoch')"
        case .postgres: "to_char(to_timestamp(\(ms) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')"
        }
    }

    /// An ordering by bytes: PostgreSQL would otherwise sort text by the database's locale.
    func bytewise(_ expression: String) -> String {
        self == .postgres ? "\(expression) COLLATE \"C\"" : expression
    }

    /// The stored body with its worker replaced by `tag` (kind kept; the box-local hash,
    /// the masked number, the pseudonym and any sealed number gone).
    func withWorker(_ body: String, tag: String) -> String {
        switch self {
        case .sqlite:
            "json_set(\(body), '$.draft.worker', json_object('kind', json_extract(\(body), '$.draft.worker.kind'), 'localHash', \(tag), 'masked', '****'))"
        case .postgres:
            "jsonb_set(\(body)::jsonb, '{draft,worker}', jsonb_build_object('kind', \(body)::jsonb #> '{draft,worker,kind}', 'localHash', CAST(\(tag) AS TEXT), 'masked', '****'))::text"
        }
    }

    /// `?` placeholders in order become `$1, $2, ...` on PostgreSQL (not inside quotes).
    func placeholders(_ sql: String) -> String {
        guard self == .postgres, sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + sql.utf8.count / 2)
        var n = 0, quoted = false
        for c in sql {
            if c == "'" { quoted.toggle() }
            if c == "?" && !quoted {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }
}
