import StationCore
import StationProtocol

/// A catalog CSV (`item_key,title,home_site`) checked line by line before anything is
/// imported: item keys as boxes record them (`isbn:` and a valid ISBN-13, an ISBN-10
/// turned into its ISBN-13; `gtin:` and a valid 13-digit GTIN; `label:` and a label's
/// text), each key once. Every problem is listed with its line. Pure; the store checks
/// that the home sites exist.
public enum CatalogImport {
    /// Why one item key is not one, and every line's problem.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }
    public struct Problems: Error, Sendable {
        public var lines: [String]
    }

    public static func titles(_ rows: [CSVTable.Row]) -> Result<[Downlink.Title], Problems> {
        var problems: [String] = [], titles: [Downlink.Title] = [], lines: [String: Int] = [:]
        for r in rows {
            switch itemKey(r.fields[0]) {
            case .failure(let why): problems.append("line \(r.line): \(why.description)")
            case .success(let key):
                if let first = lines[key] {
                    problems.append("line \(r.line): \(key) is on line \(first) too")
                    continue
                }
                lines[key] = r.line
                let title = r.fields[1].trimmingCharacters(in: .whitespaces), home = r.fields[2].trimmingCharacters(in: .whitespaces)
                titles.append(Downlink.Title(itemKey: key, title: title.isEmpty ? nil : title, homeSite: home.isEmpty ? nil : home))
            }
        }
        return problems.isEmpty ? .success(titles) : .failure(Problems(lines: problems))
    }

    /// The item key boxes record for what an operator wrote, or why there is none.
    public static func itemKey(_ raw: String) -> Result<String, Problem> {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return .failure(Problem("the item_key is empty")) }
        if text.hasPrefix("label:") {
            let label = text.dropFirst("label:".count)
            guard !label.isEmpty, label.count <= 64, label.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
                return .failure(Problem("\(text): a label is 1 to 64 printable characters without spaces, as printed on it"))
            }
            return .success(text)
        }
        if text.hasPrefix("isbn:") || text.hasPrefix("gtin:") {
            let digits = Substring(text.dropFirst(5))
            guard case .book(let book) = BookCodes.check(digits) else { return .failure(Problem("\(text): not a valid ISBN or EAN-13 (a digit or the check digit is wrong)")) }
            let key = "\(book.kind == .isbn13 || book.kind == .isbn10 ? "isbn" : "gtin"):\(book.normalized)"
            guard key.hasPrefix(String(text.prefix(5))) else { return .failure(Problem("\(text): that number is \(key), not \(text.prefix(4))")) }
            return .success(key)
        }
        // A bare number: say what the key would be.
        if case .book(let book) = BookCodes.check(Substring(text)) {
            let kind = book.kind == .isbn13 || book.kind == .isbn10 ? "isbn" : book.kind == .itemLabel ? "label" : "gtin"
            return .failure(Problem("\(text) has no kind: write \(kind):\(book.normalized)"))
        }
        return .failure(Problem("\(text): an item_key starts with isbn:, gtin: or label: (as boxes record it)"))
    }
}
