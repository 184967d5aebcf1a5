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
        /// The same in Chinese, for the console's pages.
        public var zh: String
        init(_ description: String, zh: String) { (self.description, self.zh) = (description, zh) }
    }
    /// One line's problem.
    public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var zh: String
        public var description: String { "line \(line): \(problem)" }
        public init(line: Int, problem: String, zh: String) { (self.line, self.problem, self.zh) = (line, problem, zh) }
        init(line: Int, _ problem: Problem) { self.init(line: line, problem: problem.description, zh: problem.zh) }
        /// The problem in a page's language.
        public func text(_ language: String) -> String { language == "en" ? problem : zh }
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
            case .failure(let why): problems.append(LineProblem(line: r.line, why))
            case .success(let key):
                if let first = lines[key] {
                    problems.append(LineProblem(line: r.line, Problem("\(key) is on line \(first) too", zh: "\(key) 与第 \(first) 行重复")))
                    continue
                }
                lines[key] = r.line
                let title = r.fields[1].trimmingCharacters(in: .whitespaces), home = r.fields[2].trimmingCharacters(in: .whitespaces)
                if home.isEmpty, homes.required {
                    problems.append(LineProblem(line: r.line, Problem("\(key) has no home_site: write one of your sites", zh: "\(key) 没有填写 home_site：请填写您负责的站点")))
                } else if !home.isEmpty, let sites = homes.sites, !sites.contains(home) {
                    problems.append(
                        LineProblem(line: r.line, Problem("no site \(home) among the sites you look after: add it first", zh: "您负责的站点中没有 \(home)：请先添加该站点")))
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
                problems.append(
                    LineProblem(line: r.line, Problem("a card UID is 1 to 32 hex digits, as the card reader shows it", zh: "卡号（card_uid）应为 1 至 32 位十六进制数字，与读卡器显示的一致")))
                continue
            }
            if let first = lines[uid] {
                problems.append(LineProblem(line: r.line, Problem("card \(uid) is on line \(first) too", zh: "卡 \(uid) 与第 \(first) 行重复")))
                continue
            }
            lines[uid] = r.line
            guard !number.isEmpty else {
                problems.append(LineProblem(line: r.line, Problem("the member card number of card \(uid) is empty", zh: "卡 \(uid) 的会员卡号为空")))
                continue
            }
            members.append(Downlink.Member(cardUID: uid, member: pseudonym(number)))
        }
        return problems.isEmpty ? .success(members) : .failure(Problems(found: problems))
    }

    /// The item key boxes record for what an operator wrote, or why there is none.
    public static func itemKey(_ raw: String) -> Result<String, Problem> {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return .failure(Problem("the item_key is empty", zh: "item_key 为空")) }
        if text.hasPrefix("label:") {
            let label = text.dropFirst("label:".count)
            guard !label.isEmpty, label.count <= 64, label.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
                return .failure(Problem("\(text): a label is 1 to 64 printable characters without spaces, as printed on it", zh: "\(text)：标签应为 1 至 64 个不含空格的可打印字符，与贴在书上的一致"))
            }
            return .success(text)
        }
        if text.hasPrefix("isbn:") || text.hasPrefix("gtin:") {
            let digits = Substring(text.dropFirst(5))
            guard case .book(let book) = BookCodes.check(digits) else { return .failure(Problem("\(text): not a valid ISBN or EAN-13 (a digit or the check digit is wrong)", zh: "\(text)：不是有效的 ISBN 或 EAN-13（某位数字或校验位有误）")) }
            let key = "\(book.kind == .isbn13 || book.kind == .isbn10 ? "isbn" : "gtin"):\(book.normalized)"
            guard key.hasPrefix(String(text.prefix(5))) else { return .failure(Problem("\(text): that number is \(key), not \(text.prefix(4))", zh: "\(text)：这个号码是 \(key)，不是 \(text.prefix(4))")) }
            return .success(key)
        }
        // A bare number: say what the key would be.
        if case .book(let book) = BookCodes.check(Substring(text)) {
            let kind = book.kind == .isbn13 || book.kind == .isbn10 ? "isbn" : book.kind == .itemLabel ? "label" : "gtin"
            return .failure(Problem("\(text) has no kind: write \(kind):\(book.normalized)", zh: "\(text) 缺少类型前缀：请写作 \(kind):\(book.normalized)"))
        }
        return .failure(Problem("\(text): an item_key starts with isbn:, gtin: or label: (as boxes record it)", zh: "\(text)：item_key 应以 isbn:、gtin: 或 label: 开头（与设备记录的一致）"))
    }
}
