import Foundation
import TOMLKit

/// A problem in a config file, with its file, line and key.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String?
    public var message: String
    public var description: String {
        "\(file):\(line):" + (key.map { " \($0):" } ?? "") + " \(message)"
    }
}

/// Every problem found in a config file, not only the first.
public struct ConfigProblems: Error, CustomStringConvertible, Sendable {
    public var problems: [ConfigProblem]
    init(_ problems: [ConfigProblem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A TOML config file read strictly, for the box's and the hub's files alike: read as
/// UTF-8, what the TOML library must not see refused first (``TOMLText``), its syntax,
/// then every section and key against a schema (an unknown one is a problem), and typed
/// reads whose problems carry the line of their key.
struct TOMLDocument {
    /// Section → key → type: `string`, `int`, `bool`, `strings` or `table`.
    typealias Schema = [String: [String: String]]

    let table: TOMLTable
    let problems: ProblemCollector
    var fail: (String?, String) -> Void { problems.fail }
    var reader: Reader { Reader(table: table, fail: problems.fail) }

    /// The text of a config file, or the problem with reading it.
    static func text(path: String) -> Result<String, ConfigProblems> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ConfigProblems([ConfigProblem(file: path, line: 0, key: nil, message: "cannot read the config file")]))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(
                ConfigProblems([ConfigProblem(file: path, line: 0, key: nil, message: "the config file is not UTF-8 text (saved as GBK? save it as UTF-8)")]))
        }
        return .success(text)
    }

    /// The document, its syntax and schema checked (problems of values are the caller's).
    static func parse(_ text: String, file: String, schema: Schema) -> Result<TOMLDocument, ConfigProblems> {
        if let found = TOMLText.problem(text) {
            return .failure(ConfigProblems([ConfigProblem(file: file, line: found.line, key: nil, message: "TOML syntax: \(found.message)")]))
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return .failure(ConfigProblems([ConfigProblem(file: file, line: error.source.begin.line, key: nil, message: "TOML syntax: \(error.description)")]))
        } catch {
            return .failure(ConfigProblems([ConfigProblem(file: file, line: 0, key: nil, message: "TOML syntax: \(error)")]))
        }
        let document = TOMLDocument(table: table, problems: ProblemCollector(file: file, lines: KeyLines(text)))
        document.check(schema)
        return .success(document)
    }

    /// Every section and key against the schema: unknown ones and wrong types are problems.
    func check(_ schema: Schema) {
        for section in table.keys {
            guard let fields = schema[section] else {
                fail(section, "unknown section [\(section)]")
                continue
            }
            guard let sub = table[section]?.table else {
                fail(section, "[\(section)] must be a table")
                continue
            }
            for key in sub.keys {
                let full = "\(section).\(key)"
                guard let type = fields[key] else {
                    fail(full, "unknown key")
                    continue
                }
                let value = sub[key]!
                let ok: Bool
                switch type {
                case "string": ok = value.string != nil
                case "int": ok = value.int != nil
                case "bool": ok = value.bool != nil
                case "strings": ok = value.array.map { $0.allSatisfy { $0.string != nil } } ?? false
                default: ok = value.table != nil
                }
                if !ok { fail(full, "must be \(type == "strings" ? "an array of strings" : type == "int" ? "an integer" : "a \(type)")") }
            }
        }
    }

    /// Problems found while reading one file, each with its line.
    final class ProblemCollector {
        let file: String
        let lines: KeyLines
        private(set) var list: [ConfigProblem] = []
        init(file: String, lines: KeyLines) {
            self.file = file
            self.lines = lines
        }
        func fail(_ key: String?, _ message: String) {
            list.append(ConfigProblem(file: file, line: key.flatMap { lines[$0] } ?? 0, key: key, message: message))
        }
    }

    /// Typed reads of `section.key`; a value out of its range is a problem (and the value kept).
    struct Reader {
        let table: TOMLTable
        let fail: (String?, String) -> Void
        func string(_ s: String, _ k: String) -> String? { table[s]?.table?[k]?.string }
        func int(_ s: String, _ k: String) -> Int? { table[s]?.table?[k]?.int }
        func bool(_ s: String, _ k: String) -> Bool? { table[s]?.table?[k]?.bool }
        func strings(_ s: String, _ k: String) -> [String] { table[s]?.table?[k]?.array?.compactMap(\.string) ?? [] }
        func positive(_ s: String, _ k: String, _ d: Int, _ range: ClosedRange<Int>) -> Int {
            guard let v = int(s, k) else { return d }
            if !range.contains(v) { fail("\(s).\(k)", "must be between \(range.lowerBound) and \(range.upperBound)") }
            return v
        }
    }
}

/// Where each `section.key` (and each `[section]`) is defined: TOMLKit gives positions
/// for syntax errors only.
struct KeyLines {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var section = ""
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                section = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                if lines[section] == nil { lines[section] = i + 1 }
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                let full = section.isEmpty ? key : "\(section).\(key)"
                if lines[full] == nil { lines[full] = i + 1 }
            }
        }
    }

    subscript(_ key: String) -> Int? { lines[key] }
}
