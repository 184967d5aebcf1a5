import StationCore
import StationProtocol

/// A catalog CSV (`item_key,title,home_site`) or a member CSV (`card_uid,member_card`)
/// checked line by line before anything is imported: item keys as boxes record them
/// (`isbn:` and a valid ISBN-13, an ISBN-10 turned into its ISBN-13; `gtin:` and a valid
/// 13-digit GTIN; `label:` and a label's text), each key and each card once, home sites
/// among the importer's. Every problem is listed with its line. Pure; the store checks the
/// sites again in its transaction. The CLI and the console both call it.
public enum CatalogImport {
    /// Why one item key is not one, and every line's problem.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }
    /// One line's problem.
    public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }
    public struct Problems: Error, Sendable, Equatable {
        public var found: [LineProblem]
        public var lines: [String] { found.map(\.description) }
    }

    /// Where titles may be homed: `sites` (nil: the store checks), and whether each title
    /// must have a home (a region's operator imports only into their own sites).
    public struct Homes: Sendable {
        public var sites: Set<String>?
        public var required: Bool
        public init(sites: Set<String>?, required: Bool) { (self.sites, self.required) = (sites, required) }
        public static let unchecked = Homes(sites: nil, required: false)
    }

    public static func titles(_ rows: [CSVTable.Row], homes: Homes = .unchecked) -> Result<[Downlink.Title], Problems> {
        var problems: [LineProblem] = [], titles: [Downlink.Title] = [], lines: [String: Int] = [:]
        for r in rows {
            switch itemKey(r.fields[0]) {
            case .failure(let why): problems.append(LineProblem(line: r.line, problem: why.description))
            case .success(let key):
                if let first = lines[key] {
                    problems.append(LineProblem(line: r.line, problem: "\(key) is on line \(first) too"))
                    continue
                }
                lines[key] = r.line
                let title = r.fields[1].trimmingCharacters(in: .whitespaces), home = r.fields[2].trimmingCharacters(in: .whitespaces)
                if home.isEmpty, homes.required {
                    problems.append(LineProblem(line: r.line, problem: "\(key) has no home_site: write one of your sites"))
                } else if !home.isEmpty, let sites = homes.sites, !sites.contains(home) {
                    problems.append(LineProblem(line: r.line, problem: "no site \(home) among the sites you look after: add it first"))
                }
                titles.append(Downlink.Title(itemKey: key, title: title.isEmpty ? nil : title, homeSite: home.isEmpty ? nil : home))
            }
        }
        return problems.isEmpty ? .success(titles) : .failure(Problems(found: problems))
    }

    /// Members' cards: each card UID (hex, as a reader reports it) once, its member card
    /// number turned into the member's pseudonym at once (the number is in no problem).
    public static func members(_ rows: [CSVTable.Row], pseudonym: (String) -> String) -> Result<[Downlink.Member], Problems> {
        var problems: [LineProblem] = [], members: [Downlink.Member] = [], lines: [String: Int] = [:]
        for r in rows {
            let uid = r.fields[0].trimmingCharacters(in: .whitespaces).uppercased(), number = r.fields[1].trimmingCharacters(in: .whitespaces)
            guard !uid.isEmpty, uid.count <= 32, uid.allSatisfy(\.isHexDigit) else {
                problems.append(LineProblem(line: r.line, problem: "a card UID is 1 to 32 hex digits, as the card reader shows it"))
                continue
            }
            if let first = lines[uid] {
                problems.append(LineProblem(line: r.line, problem: "card \(uid) is on line \(first) too"))
                continue
            }
            lines[uid] = r.line
            guard !number.isEmpty else {
                problems.append(LineProblem(line: r.line, problem: "the member card number of card \(uid) is empty"))
                continue
            }
            members.append(Downlink.Member(cardUID: uid, member: pseudonym(number)))
        }
        return problems.isEmpty ? .success(members) : .failure(Problems(found: problems))
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
