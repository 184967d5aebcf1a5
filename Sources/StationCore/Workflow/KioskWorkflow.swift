/// What a scan meant, ready for the workflow: credentials already protected (the raw
/// number never reaches the workflow), codes that cannot be used already judged.
public enum Scanned: Sendable, Equatable {
    case book(ItemRef)
    case worker(WorkerRef)
    case control(ControlAction)
    /// Not usable: `misread` (not a valid code) or `refused` (an expired e-card, say).
    case rejected(Outcome, reason: String)
}

/// The clocks the workflow measures time with. Durations (session timeouts, double reads,
/// visit lengths within a boot) use the monotonic clock: a box without an RTC may set its
/// wall clock years forward when NTP first answers, and that must not close every visit.
public struct WorkflowClock: Sendable, Equatable {
    public var wallMillis: Int64
    public var monotonicMillis: Int64
    public var bootID: String

    public init(wallMillis: Int64, monotonicMillis: Int64, bootID: String) {
        self.wallMillis = wallMillis
        self.monotonicMillis = monotonicMillis
        self.bootID = bootID
    }
}

/// One scan as the workflow sees it.
public struct ScanInput: Sendable, Equatable {
    public var scanned: Scanned
    /// The framed text, for double-read detection only.
    public var code: String
    public var scannerID: String
    public var clock: WorkflowClock
    public var wallMillis: Int64 { clock.wallMillis }
    /// Today in the site's time zone.
    public var today: LocalDate
    /// The book's home site from the catalog cache, when known.
    public var bookHomeSite: String?
    /// A book someone requested: what this box is to do with it.
    public var transfer: TransferOrder?
    /// A worker's scan: the requests on this site's hold shelf that are theirs.
    public var requests: Set<String>

    public init(
        scanned: Scanned, code: String, scannerID: String, clock: WorkflowClock, today: LocalDate, bookHomeSite: String? = nil, transfer: TransferOrder? = nil,
        requests: Set<String> = []
    ) {
        self.scanned = scanned
        self.code = code
        self.scannerID = scannerID
        self.clock = clock
        self.today = today
        self.bookHomeSite = bookHomeSite
        self.transfer = transfer
        self.requests = requests
    }
}

/// The workflow's answer to one scan: what to tell the worker, and what to record first.
public struct Decision: Sendable, Equatable {
    public var outcome: Outcome
    /// Recorded before the outcome is told; nil for outcomes that record nothing.
    public var record: EventDraft?
    /// Plain words for the worker or the site manager.
    public var message: String
    /// The same in Chinese where it says something the outcome alone does not (why a
    /// scan was refused, what to look out for): the kiosk page shows it first.
    public var chinese: String?

    public init(outcome: Outcome, record: EventDraft? = nil, message: String, chinese: String? = nil) {
        self.chinese = chinese
        self.outcome = outcome
        self.record = record
        self.message = message
    }
}

/// The kiosk as a pure state machine: values in, decisions out, no I/O.
///
/// `handle` decides; the caller records `decision.record` durably and only then calls
/// `recorded(_:)` (which updates the local ledger) and tells the outcome. When the record
/// fails, the caller calls `recordFailed()` and tells `storage-error`; the ledger is
/// unchanged.
public struct KioskWorkflow: Sendable {
    public let settings: KioskSettings
    public private(set) var ledger: LocalLedger
    public private(set) var session: Session?
    public private(set) var mode: KioskMode = .checkout
    public private(set) var chosenService: String?
    /// The stocktake running here (a site manager's card began it), if any.
    public internal(set) var stocktake: Stocktake?
    /// Monotonic milliseconds.
    private var lastActivityMillis: Int64 = 0
    private var lastRead: (code: String, scanner: String, atMillis: Int64)?

    public struct Session: Sendable, Equatable {
        public var worker: WorkerRef
        public var openedAtMillis: Int64
        /// The requests held here for this worker (matched when their card was scanned).
        public var requests: Set<String> = []
    }

    public init(settings: KioskSettings, ledger: LocalLedger = LocalLedger(), stocktake: Stocktake? = nil) {
        self.settings = settings
        self.ledger = ledger
        self.stocktake = stocktake
    }

    // MARK: - Scans

    /// Decides what a scan means. Nil for a double read (the same code from the same
    /// scanner within the window), which is one scan and gets no second outcome.
    public mutating func handle(_ input: ScanInput) -> Decision? {
        if let last = lastRead, last.code == input.code, last.scanner == input.scannerID,
            input.clock.monotonicMillis - last.atMillis >= 0, input.clock.monotonicMillis - last.atMillis < settings.doubleReadWindowMillis
        {
            return nil
        }
        lastRead = (input.code, input.scannerID, input.clock.monotonicMillis)
        expire(now: input.clock)
        lastActivityMillis = input.clock.monotonicMillis

        switch input.scanned {
        case .rejected(let outcome, let reason):
            return Decision(outcome: outcome, message: reason)
        case .control(let action) where stocktake != nil && !action.isManagers:
            return Self.counting
        case .control(let action):
            return control(action, input)
        case .worker where stocktake != nil:
            return Self.counting
        case .worker(let worker):
            return settings.siteKind == .bookshelf ? openSession(worker, requests: input.requests, at: input.wallMillis) : visit(worker, input)
        case .book(let item):
            if let running = stocktake { return count(item, input, running) }
            guard settings.siteKind == .bookshelf else {
                return Decision(outcome: .refused, message: "this site does not lend books", chinese: "本站不办理借书")
            }
            return book(item, input)
        }
    }

    /// The record of the last decision is durable: the ledger follows it.
    public mutating func recorded(_ event: JournalEvent) {
        ledger.apply(event)
        follow(event)
    }

    /// The record of the last decision could not be written: the next read of the same
    /// code is a new attempt, not a double read.
    public mutating func recordFailed() {
        lastRead = nil
    }

    /// Replaces the ledger: the window the journal gives for each scan (and after a void).
    public mutating func rebuild(ledger: LocalLedger) {
        self.ledger = ledger
    }

    // MARK: - Time

    /// Ends an idle session and forgets an idle mode or service choice.
    public mutating func expire(now: WorkflowClock) {
        guard now.monotonicMillis - lastActivityMillis >= settings.sessionTimeoutMillis else { return }
        endSession()
    }

    /// When ``expire(now:)`` or ``autoClose(now:)`` next has work, in monotonic milliseconds.
    public func nextDeadline(now: WorkflowClock) -> Int64? {
        var deadlines: [Int64] = []
        if session != nil || mode != .checkout || chosenService != nil { deadlines.append(lastActivityMillis + settings.sessionTimeoutMillis) }
        deadlines += ledger.visits.values.map { now.monotonicMillis + maxVisitMillis - age(of: $0, now: now) }
        return deadlines.min()
    }

    private var maxVisitMillis: Int64 { Int64(settings.visitMaxMinutes) * 60_000 }

    /// How long a visit has lasted: on the monotonic clock within this boot; across a
    /// reboot only the wall clock can tell.
    private func age(of visit: LocalLedger.Visit, now: WorkflowClock) -> Int64 {
        if visit.bootID == now.bootID { return now.monotonicMillis - visit.startedMonotonicMillis }
        return now.wallMillis - visit.startedAtMillis
    }

    /// Visits open longer than the maximum: their closing records, marked `auto-closed`.
    public func autoClose(now: WorkflowClock) -> [EventDraft] {
        return ledger.visits.values.filter { age(of: $0, now: now) >= maxVisitMillis }.sorted { $0.seq < $1.seq }.map {
            EventDraft(kind: .visitEnd, worker: $0.worker, service: $0.service, flags: ["auto-closed"], refersTo: $0.seq)
        }
    }

    // MARK: - Decisions

    private mutating func control(_ action: ControlAction, _ input: ScanInput) -> Decision {
        switch action {
        case .mode(let m):
            guard settings.siteKind == .bookshelf else { return Decision(outcome: .refused, message: "this site does not lend books", chinese: "本站不办理借书") }
            mode = m
            return Decision(outcome: .modeChanged, message: "mode: \(m.rawValue)")
        case .done, .cancel:
            endSession()
            return Decision(outcome: .modeChanged, message: action == .done ? "session ended" : "session cancelled")
        case .service(let s):
            guard settings.siteKind != .bookshelf else { return Decision(outcome: .refused, message: "this site offers no services to choose", chinese: "本站没有可选择的服务") }
            guard settings.services.isEmpty || settings.services.contains(s) else {
                return Decision(outcome: .refused, message: "service \(s) is not offered here", chinese: "本站不提供此项服务")
            }
            chosenService = s
            return Decision(outcome: .modeChanged, message: "service: \(s)")
        case .stocktakeStart, .stocktakeEnd:
            return stocktakeCard(action, input)
        }
    }

    mutating func endSession() {
        session = nil
        mode = .checkout
        chosenService = nil
    }

    private mutating func openSession(_ worker: WorkerRef, requests: Set<String>, at now: Int64) -> Decision {
        // A new worker starts lending; a mode chosen for the previous one does not carry over.
        if session?.worker != worker { mode = .checkout }
        session = Session(worker: worker, openedAtMillis: now, requests: requests)
        let held = ledger.openLoans(of: worker.localHash)
        let waiting = requests.isEmpty ? "" : "; \(requests.count) requested book(s) wait for you on the hold shelf"
        return Decision(
            outcome: .sessionOpened, message: "welcome \(worker.masked): \(held) book(s) on loan" + waiting,
            chinese: requests.isEmpty ? nil : "您预约的 \(requests.count) 本书已到，请到预约架取书")
    }

    /// A requested copy: trapped to be sent on, trapped on arrival, or kept for its worker.
    /// Nil when its worker borrows it (an ordinary check-out, told as `hold-ready`).
    private func trap(_ order: TransferOrder, _ item: ItemRef, _ input: ScanInput) -> Decision? {
        switch order {
        case .send(let request, let destination, let moved):
            let loan = ledger.oldestLoan(of: item.key)
            return Decision(
                outcome: .transferOut,
                record: EventDraft(
                    kind: .transferOut, scannerID: input.scannerID, item: item, flags: loan == nil ? [] : ["returned-by-transfer"], refersTo: loan?.seq,
                    request: request, destination: destination),
                message: moved ? "moving to \(destination)'s shelf: send it there" : "requested at \(destination): send it there",
                chinese: moved ? "此书调往 \(destination) 站，请转寄" : "此书已被预约，请转寄至 \(destination) 站")
        case .expect(let request, let masked):
            let loan = ledger.oldestLoan(of: item.key)
            return Decision(
                outcome: .transferIn,
                record: EventDraft(
                    kind: .transferIn, scannerID: input.scannerID, item: item, flags: loan == nil ? [] : ["returned-by-transfer"], refersTo: loan?.seq, request: request),
                message: "on hold for \(masked): put it on the hold shelf", chinese: "为 \(masked) 预留，请放到预约架")
        case .held(let request, let masked, _):
            if let session, session.requests.contains(request), mode == .checkout { return nil }
            return Decision(outcome: .holdRefused, message: "on hold for \(masked); it stays on the hold shelf", chinese: "此书为 \(masked) 预留，请放回预约架")
        }
    }

    private mutating func visit(_ worker: WorkerRef, _ input: ScanInput) -> Decision {
        if let open = ledger.visits[worker.localHash] {
            chosenService = nil
            return Decision(
                outcome: .visitEnded,
                record: EventDraft(kind: .visitEnd, scannerID: input.scannerID, worker: worker, service: open.service, refersTo: open.seq),
                message: "visit ended")
        }
        let service = chosenService ?? settings.defaultService
        chosenService = nil
        return Decision(
            outcome: .visitStarted, record: EventDraft(kind: .visitStart, scannerID: input.scannerID, worker: worker, service: service),
            message: "visit started" + (service.map { ": \($0)" } ?? ""))
    }

    private mutating func book(_ item: ItemRef, _ input: ScanInput) -> Decision {
        guard let order = input.transfer else { return lend(item, input) }
        // A copy moved for no worker (it slept here) that a worker here wants after all is
        // lent; the pull list traps it when it comes back.
        if case .send(_, _, true) = order, session != nil, mode == .checkout { return lend(item, input) }
        if let trapped = trap(order, item, input) { return trapped }
        var d = lend(item, input)
        if d.outcome == .checkedOut {
            (d.outcome, d.message, d.chinese) = (.holdReady, "your requested book: " + d.message, "这是您预约的书，" + (d.chinese ?? ""))
        }
        return d
    }

    private mutating func lend(_ item: ItemRef, _ input: ScanInput) -> Decision {
        if mode == .renew && session == nil {
            return Decision(outcome: .refused, message: "scan your card first, then the books to renew", chinese: "请先扫描会员卡，再扫描要续借的图书")
        }
        guard let session, mode != .return else { return giveBack(item, input) }
        let worker = session.worker
        let due = input.today.adding(days: settings.loanDays).description
        // A labelled copy the worker holds is renewed. Copies of a title are alike: another
        // scan of a title already held is another copy, unless the kiosk is in renew mode.
        if ledger.loan(of: item.key, by: worker.localHash) != nil && (!item.isTitleOnly || mode == .renew) {
            return Decision(
                outcome: .renewed,
                record: EventDraft(kind: .renewal, scannerID: input.scannerID, item: item, worker: worker, dueDate: due),
                message: "renewed until \(due)", chinese: "已续借至 \(due)")
        }
        if mode == .renew {
            return Decision(outcome: .refused, message: "this book is not on loan to you, so it cannot be renewed", chinese: "这本书不在您的借阅记录中，无法续借")
        }
        var flags: [String] = []
        var warnings: [String] = []
        var warningsZh: [String] = []
        if ledger.openLoans(of: worker.localHash) >= settings.maxLoans {
            if settings.overLimit == .refuse {
                return Decision(outcome: .refused, message: "limit of \(settings.maxLoans) books reached; return one first", chinese: "已达借阅上限 \(settings.maxLoans) 本，请先归还一本")
            }
            flags.append("over-limit")
            warnings.append("limit of \(settings.maxLoans) books reached")
            warningsZh.append("已超过借阅上限 \(settings.maxLoans) 本")
        }
        if !item.isTitleOnly, ledger.oldestLoan(of: item.key) != nil {
            flags.append("on-loan-to-another-worker")
            warnings.append("this book is listed as on loan to someone else")
            warningsZh.append("这本书登记为他人借阅中，请告知管理员")
        }
        let record = EventDraft(kind: .checkout, scannerID: input.scannerID, item: item, worker: worker, dueDate: due, flags: flags)
        if warnings.isEmpty {
            return Decision(outcome: .checkedOut, record: record, message: "due \(due)", chinese: "请于 \(due) 前归还")
        }
        return Decision(
            outcome: .warning, record: record, message: "checked out, due \(due); " + warnings.joined(separator: "; "),
            chinese: "已借出，请于 \(due) 前归还；" + warningsZh.joined(separator: "；"))
    }

    private func giveBack(_ item: ItemRef, _ input: ScanInput) -> Decision {
        var flags: [String] = []
        var refersTo: Int64?
        var notes: [String] = []
        var notesZh: [String] = []
        if let loan = ledger.oldestLoan(of: item.key) {
            refersTo = loan.seq
            // Copies of a title are interchangeable: the oldest open loan is closed.
            if item.isTitleOnly { flags.append("title-only-oldest-loan") }
        } else {
            flags.append("returned-without-loan")
        }
        if let home = input.bookHomeSite, home != settings.siteID {
            flags.append("drift")
            notes.append("this book now lives here (it came from \(home))")
            notesZh.append("这本书来自 \(home)，今后放在本站")
        }
        return Decision(
            outcome: .returned,
            record: EventDraft(kind: .return, scannerID: input.scannerID, item: item, flags: flags, refersTo: refersTo),
            message: (["returned"] + notes).joined(separator: "; "), chinese: notesZh.isEmpty ? nil : "谢谢；" + notesZh.joined(separator: "；"))
    }
}
