/// A stocktake running at this box, as the workflow keeps it: when it began (its
/// `stocktake-start` event) and what it counted since. Rebuilt from the journal at start,
/// so a stocktake survives a restart.
public struct Stocktake: Sendable, Equatable {
    public var startSeq: Int64
    public var startedAtMillis: Int64
    /// Labelled copies counted (each once, however often it is scanned again).
    public var labels: Set<String>
    /// Copies counted: every labelled copy once, and each scan of a title-only code (an
    /// ISBN names several alike copies), a double read excepted.
    public var counted: Int

    public init(startSeq: Int64, startedAtMillis: Int64, labels: Set<String> = [], counted: Int = 0) {
        (self.startSeq, self.startedAtMillis, self.labels, self.counted) = (startSeq, startedAtMillis, labels, counted)
    }

    /// Whether scanning `item` again counts nothing.
    public func counts(_ item: ItemRef) -> Bool { item.isTitleOnly || !labels.contains(item.key) }

    /// After a `seen` event of `item` is durable.
    public mutating func saw(_ item: ItemRef) {
        guard counts(item) else { return }
        if !item.isTitleOnly { labels.insert(item.key) }
        counted += 1
    }
}

/// The stocktake's decisions: its cards (a site manager's), each book scan while it runs
/// (`seen`, no loan changes), and what is refused meanwhile (lending waits).
extension KioskWorkflow {
    static let counting = Decision(
        outcome: .refused, message: "a stocktake is running: lending resumes when it ends", chinese: "正在盘点，暂停借还；盘点结束后再办理")

    mutating func stocktakeCard(_ action: ControlAction, _ input: ScanInput) -> Decision {
        // (A stocktake that runs is always ended, whatever the site became meanwhile.)
        guard settings.siteKind == .bookshelf || (action == .stocktakeEnd && stocktake != nil) else {
            return Decision(outcome: .refused, message: "this site has no shelf to count", chinese: "本站没有书架可盘点")
        }
        switch (action, stocktake) {
        case (.stocktakeStart, let running?):
            return Decision(
                outcome: .stocktakeStarted, message: "the stocktake runs already: \(running.counted) counted", chinese: "盘点进行中：已清点 \(running.counted) 本")
        case (.stocktakeStart, nil):
            endSession()
            return Decision(
                outcome: .stocktakeStarted, record: EventDraft(kind: .stocktakeStart, scannerID: input.scannerID),
                message: "stocktake started: scan every book on the shelf, then the end card", chinese: "开始盘点：请逐本扫描书架上的图书，结束时扫描“盘点结束”卡")
        case (_, let running?):
            return Decision(
                outcome: .stocktakeEnded, record: EventDraft(kind: .stocktakeEnd, scannerID: input.scannerID, refersTo: running.startSeq),
                message: "stocktake ended: \(running.counted) books counted", chinese: "盘点结束：共清点 \(running.counted) 本")
        case (_, nil):
            return Decision(outcome: .refused, message: "no stocktake is running", chinese: "当前没有进行中的盘点")
        }
    }

    /// A book scanned while the stocktake runs: counted once (recorded the first time).
    func count(_ item: ItemRef, _ input: ScanInput, _ running: Stocktake) -> Decision {
        guard running.counts(item) else {
            return Decision(outcome: .stocktakeSeen, message: "counted already: \(running.counted) in all", chinese: "这本已清点过，共 \(running.counted) 本")
        }
        return Decision(
            outcome: .stocktakeSeen, record: EventDraft(kind: .seen, scannerID: input.scannerID, item: item, refersTo: running.startSeq),
            message: "counted: \(running.counted + 1)", chinese: "已清点 \(running.counted + 1) 本")
    }

    /// What a durable event does to the stocktake.
    mutating func follow(_ event: JournalEvent) {
        switch event.draft.kind {
        case .stocktakeStart: stocktake = Stocktake(startSeq: event.seq, startedAtMillis: event.time.wallMillis)
        case .seen: if let item = event.draft.item { stocktake?.saw(item) }
        case .stocktakeEnd: stocktake = nil
        default: break
        }
    }
}
