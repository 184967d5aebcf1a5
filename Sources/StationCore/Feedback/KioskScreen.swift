/// What the kiosk page shows, as a value: the page renders it and nothing else. Built
/// from an outcome after it was told, so the screen never runs ahead of the journal.
public struct KioskScreen: Sendable, Equatable, Codable {
    /// Increases with every screen, so a page can tell a new scan from a reconnect.
    public var serial: Int
    /// `idle` or an outcome's raw value.
    public var state: String
    public var recorded: Bool
    /// The big line, in both languages.
    public var headline: Words
    /// Plain words under it: why a scan was refused, what to do next.
    public var detail: Words
    /// The book's title from the catalog cache, when it has one.
    public var title: String?
    /// The book's code as printed on it: the item label or the ISBN.
    public var item: String?
    /// Local date, `YYYY-MM-DD`.
    public var dueDate: String?
    /// Masked credential (e.g. `3201**********123X`): never the number itself.
    public var worker: String?
    public var service: String?
    /// Wall-clock start of a visit, for the hut's timer (ms since 1970).
    public var visitStartedAtMillis: Int64?
    public var atMillis: Int64
    public var siteKind: String

    public struct Words: Sendable, Equatable, Codable {
        public var zh: String
        public var en: String
        public init(zh: String, en: String) {
            self.zh = zh
            self.en = en
        }
    }

    /// What the page shows while nobody is scanning.
    public static func idle(siteKind: KioskSettings.SiteKind, serial: Int = 0, atMillis: Int64 = 0) -> KioskScreen {
        let words: Words =
            switch siteKind {
            case .bookshelf: Words(zh: "请扫描会员卡，再扫描图书", en: "Scan your member card, then your books")
            case .hut: Words(zh: "进出请扫描会员卡", en: "Scan your member card on the way in and out")
            case .station: Words(zh: "请扫描会员卡", en: "Scan your member card")
            }
        return KioskScreen(
            serial: serial, state: "idle", recorded: false, headline: Words(zh: "欢迎", en: "Welcome"), detail: words, title: nil, item: nil, dueDate: nil,
            worker: nil, service: nil, visitStartedAtMillis: nil, atMillis: atMillis, siteKind: siteKind.rawValue)
    }

    /// The screen after an outcome. `message` is the workflow's English explanation and
    /// `chinese` its Chinese one where the workflow gives it (a refusal's reason, say);
    /// otherwise the Chinese detail is chosen by outcome. Due date and title are shown in
    /// their own fields too.
    public static func after(
        _ outcome: Outcome, message: String, chinese: String? = nil, draft: EventDraft?, title: String?, worker: String?, serial: Int,
        atMillis: Int64, siteKind: KioskSettings.SiteKind
    ) -> KioskScreen {
        let prompt = Prompt.of(outcome)
        let standard: String =
            switch outcome {
            case .sessionOpened: "已识别会员，请扫描要借或还的图书"
            case .checkedOut: "请按时归还"
            case .renewed: "已续借"
            case .returned: "谢谢，可以放回书架"
            case .visitStarted: "欢迎，离开时请再扫描一次"
            case .visitEnded: "本次使用已结束"
            case .modeChanged: "已切换"
            case .warning: "已记录，请留意以下提示"
            case .refused: "未记录：此操作不被允许"
            case .misread: "无法识别此条码，请重新扫描"
            case .storageError: "未记录：设备暂时无法保存，请稍后再试并联系管理员"
            case .transferOut: "请把这本书放到待转寄处"
            case .transferIn: "请把这本书放到预约架"
            case .holdReady: "这是您预约的书，请按时归还"
            case .holdRefused: "未记录：此书为他人预约保留"
            case .stocktakeStarted: "请逐本扫描书架上的图书，结束时扫描“盘点结束”卡"
            case .stocktakeSeen: "已清点"
            case .stocktakeEnded: "已结束，可以正常借还"
            }
        return KioskScreen(
            serial: serial, state: outcome.rawValue, recorded: outcome.records && draft != nil,
            headline: Words(zh: prompt.hanzi, en: prompt.english), detail: Words(zh: chinese.map { outcome == .refused ? "未记录：" + $0 : $0 } ?? standard, en: message),
            title: title, item: draft?.item.map { String($0.key.drop { $0 != ":" }.dropFirst()) }, dueDate: draft?.dueDate, worker: draft?.worker?.masked ?? worker,
            service: draft?.service, visitStartedAtMillis: outcome == .visitStarted && draft != nil ? atMillis : nil, atMillis: atMillis,
            siteKind: siteKind.rawValue)
    }
}
