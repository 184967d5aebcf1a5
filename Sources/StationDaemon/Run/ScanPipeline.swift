import Crypto
import Foundation
import Logging
import StationCore
import StationInput
import StationStore
import StationSystem

/// What the pipeline needs of the journal (``Journal`` on the box; a value in tests).
public protocol ScanJournal: AnyObject {
    /// Records one event durably, or throws (then nothing but `storage-error` is told).
    func append(_ draft: EventDraft, time: EventTime) throws -> JournalEvent
    /// The book's home site and title from the catalog cache, if the hub sent them.
    func catalogEntry(itemKey: String) throws -> (homeSite: String?, title: String?)?
    /// The member a card UID belongs to, from the hub's member list.
    func member(cardUID: String) throws -> String?
    /// What a scan decides with, as of the last event recorded: the open loans of `item`,
    /// every open visit, and how many loans `worker` holds (``LocalLedger/init(window:held:)``).
    func window(item: String?, worker: String?) throws -> LocalLedger
    /// What to do with a requested copy scanned now (the hub's lists and this journal).
    func transferOrder(itemKey: String, nowMillis: Int64) throws -> TransferOrder?
    /// The hub's pull list and hold shelf for this site.
    func transfers() throws -> [Journal.TransferEntry]
}

extension Journal: ScanJournal {}

/// The clocks an event is stamped with (``SystemClock`` on the box).
public protocol ScanClock {
    func now() -> (wallMillis: Int64, synchronized: Bool, bootID: String, monotonicMicros: Int64)
}

public struct SystemScanClock: ScanClock {
    public init() {}
    public func now() -> (wallMillis: Int64, synchronized: Bool, bootID: String, monotonicMicros: Int64) {
        (SystemClock.wallMillis(), SystemClock.isSynchronized(), SystemClock.bootID, SystemClock.monotonicMicros())
    }
}

/// One outcome to tell the worker, with what the kiosk page and the JSON line show.
public struct Told: Sendable {
    public var outcome: Outcome
    public var message: String
    public var chinese: String?
    public var title: String?
    public var scannerID: String?
    /// The event recorded, when the outcome records one (told only after it is durable).
    public var event: JournalEvent?
    /// Recorded by a timer, not by a scan (an automatic visit end).
    public var automatic = false
    /// The worker's masked number, when a session opened.
    public var worker: String?
}

/// recognise → seal → read the ledger's window → decide → append → tell, for one scan at
/// a time, on the scan loop.
/// Pure decisions come from ``CodeRecognizer`` and ``KioskWorkflow``; the journal and the
/// clocks are injected, so the whole path is tested without devices.
public final class ScanPipeline {
    public var recognizer: CodeRecognizer
    public var keys: CredentialKeys
    public private(set) var workflow: KioskWorkflow
    let journal: any ScanJournal
    let clock: any ScanClock
    let timeZone: String
    let logger: Logger
    /// Every outcome, in order: the daemon fans it out (JSON line, feedback, kiosk page).
    let tell: (Told) -> Void
    /// An enrollment card was scanned (the daemon enrolls off the loop).
    let enroll: (EnrollmentCard, String) -> Void
    /// After an event is recorded (the uploader is nudged).
    var onRecorded: () -> Void = {}
    /// A box whose config leaves its identity to the enrollment card, before that card:
    /// nothing but an enrollment card is acted on, nothing is recorded.
    public var awaitingIdentity = false
    /// One sealed credential per worker and hub key (see `CredentialProtector.protect`).
    private var seals: [String: SealedCredential] = [:]
    /// After a failed automatic close, the next try waits (monotonic ms): the disk gets
    /// time to recover and the loop does not spin on a deadline that stays in the past.
    private var autoCloseRetryMillis: Int64 = 0
    let visitMaxMinutes: Int

    public init(
        recognizer: CodeRecognizer, keys: CredentialKeys, workflow: KioskWorkflow, journal: any ScanJournal, clock: any ScanClock = SystemScanClock(),
        timeZone: String, visitMaxMinutes: Int, logger: Logger, tell: @escaping (Told) -> Void, enroll: @escaping (EnrollmentCard, String) -> Void
    ) {
        self.recognizer = recognizer
        self.keys = keys
        self.workflow = workflow
        self.journal = journal
        self.clock = clock
        self.timeZone = timeZone
        self.visitMaxMinutes = visitMaxMinutes
        self.logger = logger
        self.tell = tell
        self.enroll = enroll
    }

    /// New site settings (the hub's, over the config's): the ledger's window and a running
    /// stocktake stay.
    public func apply(settings: KioskSettings) {
        guard settings != workflow.settings else { return }
        workflow = KioskWorkflow(settings: settings, ledger: workflow.ledger, stocktake: workflow.stocktake)
    }

    var workflowClock: WorkflowClock {
        let t = clock.now()
        return WorkflowClock(wallMillis: t.wallMillis, monotonicMillis: t.monotonicMicros / 1000, bootID: t.bootID)
    }

    /// A framed scan from `scannerID`.
    public func scan(_ text: String, aim: String?, role: DeviceRole, scannerID: String) {
        let moment = CodeRecognizer.Moment.now(timeZone: timeZone)
        let recognition = recognizer.recognize(text, aim: aim, role: role, at: moment)
        // The hold shelf's requests this worker made, matched while the number is in hand.
        var requests: Set<String> = []
        if case .credential(let raw) = recognition, !awaitingIdentity { requests = heldRequests(for: raw) }
        guard let scanned = scanned(recognition, scannerID: scannerID) else { return }
        do {
            try readWindow(for: scanned)
        } catch {
            logger.error("cannot read the journal's ledger: told storage-error", metadata: ["scanner.id": "\(scannerID)", "error": "\(error)"])
            return tell(Told(outcome: .storageError, message: "the box cannot read its records right now; please try again", scannerID: scannerID))
        }
        let today = LocalDate(year: moment.today.year, month: moment.today.month, day: moment.today.day)
        // The catalog cache only adds the drift flag (and the title on the kiosk page);
        // without it the hub still reconciles.
        var entry: (homeSite: String?, title: String?)?
        var transfer: TransferOrder?
        if case .book(let item) = scanned {
            entry = (try? journal.catalogEntry(itemKey: item.key)) ?? nil
            // (A stocktake counts the copy and nothing more: no order to look up.)
            if workflow.stocktake == nil { transfer = (try? journal.transferOrder(itemKey: item.key, nowMillis: clock.now().wallMillis)) ?? nil }
            // A held copy on loan here was collected: no order any more.
            if case .held = transfer, workflow.ledger.oldestLoan(of: item.key) != nil { transfer = nil }
        }
        let input = ScanInput(
            scanned: scanned, code: text, scannerID: scannerID, clock: workflowClock, today: today, bookHomeSite: entry?.homeSite, transfer: transfer,
            requests: requests)
        guard let decision = workflow.handle(input) else { return }  // a double read
        var told = Told(outcome: decision.outcome, message: decision.message, chinese: decision.chinese, title: entry?.title, scannerID: scannerID)
        if decision.outcome == Outcome.sessionOpened { told.worker = workflow.session?.worker.masked }
        guard let draft = decision.record else { return tell(told) }
        record(draft, told)
    }

    static let notEnrolled = "设备尚未登记：请管理员扫描设备登记卡 / this box is not enrolled yet: scan its enrollment card first"

    /// A burst the framer rejected (typing, a stuck key, dropped events): a misread.
    public func rejected(_ why: ScanRejection, scannerID: String) {
        tell(Told(outcome: .misread, message: why.detail, scannerID: scannerID))
    }

    /// What the workflow is given for a recognition; nil when the scan was handled here.
    func scanned(_ recognition: Recognition, scannerID: String) -> Scanned? {
        if awaitingIdentity {
            switch recognition {
            case .book, .control, .credential: return .rejected(.refused, reason: Self.notEnrolled)
            case .enrollment, .unusable, .misread: break  // a misread is told as one
            }
        }
        switch recognition {
        case .book(let b): return .book(ItemRef(b))
        case .control(let a): return .control(a)
        case .enrollment(let card):
            enroll(card, scannerID)
            return nil
        case .credential(let raw):
            do {
                return .worker(try protect(raw))
            } catch CredentialProtector.ProtectError.noHubKey {
                // A number that cannot be sealed to the hub is not recorded at all.
                return .rejected(.refused, reason: Self.notEnrolled)
            } catch {
                logger.error("cannot protect a credential", metadata: ["scanner.id": "\(scannerID)", "error": "\(error)"])
                tell(Told(outcome: .storageError, message: "cannot protect the credential", scannerID: scannerID))
                return nil
            }
        case .unusable(let kind, _, let reason):
            return .rejected(CredentialKind(rawValue: kind) != nil ? .refused : .misread, reason: reason)
        case .misread(_, let reason):
            return .rejected(.misread, reason: reason)
        }
    }

    /// The requests on this site's hold shelf that are this credential's and wait now: its
    /// keyed hash under each request's own key, or the member a card UID belongs to.
    func heldRequests(for raw: RawCredential) -> Set<String> {
        guard let entries = try? journal.transfers() else { return [] }
        let member = raw.kind == .cardUID ? (try? journal.member(cardUID: raw.secret)) ?? nil : nil
        var out: Set<String> = []
        let now = clock.now().wallMillis
        for e in entries where e.destination == nil {
            let theirs =
                if let m = e.member, m == member { true } else if let hex = e.key, let bytes = Hex.decode(hex), let verifier = e.verifier {
                    CredentialProtector.localHash(raw, key: SymmetricKey(data: bytes), version: 1) == verifier
                } else { false }
            // Only a copy on the hold shelf now (arrived, its hold not ended) is waiting for them.
            guard theirs, case .held(let request, _, _)? = try? journal.transferOrder(itemKey: e.itemKey, nowMillis: now), request == e.request else { continue }
            out.insert(e.request)
        }
        return out
    }

    /// A credential hashed, masked and sealed at once (the number goes no further).
    func protect(_ raw: RawCredential) throws -> WorkerRef {
        var worker = WorkerRef(try CredentialProtector.protect(raw, keys: keys) { seals[$0] })
        if let sealed = worker.sealed, seals[worker.localHash] != sealed {
            if seals.count >= 10_000 { seals.removeAll() }
            seals[worker.localHash] = sealed
        }
        // A card the hub's member list knows matches its member locally (two cards of
        // one member are one worker); the event still carries the sealed UID.
        if raw.kind == .cardUID, let member = try? journal.member(cardUID: raw.secret) {
            worker.localHash = CredentialProtector.localHash(RawCredential(kind: .cardUID, secret: "member:" + member), key: keys.localKey, version: keys.localVersion)
        }
        return worker
    }

    /// Records first, tells second. False when the record could not be written.
    @discardableResult
    func record(_ draft: EventDraft, _ told: Told) -> Bool {
        let t = clock.now()
        let time = EventTime(wallMillis: t.wallMillis, synchronized: t.synchronized, bootID: t.bootID, monotonicMicros: t.monotonicMicros)
        do {
            let event = try journal.append(draft, time: time)
            workflow.recorded(event)
            if event.draft.kind == .void { rebuildLedger() }
            onRecorded()
            var recorded = told
            recorded.event = event
            tell(recorded)
            return true
        } catch {
            workflow.recordFailed()
            logger.error("cannot record an event: told storage-error", metadata: ["scanner.id": "\(told.scannerID ?? "-")", "error": "\(error)"])
            tell(Told(outcome: .storageError, message: "the box cannot save right now; please try again", scannerID: told.scannerID))
            return false
        }
    }

    /// The window of the ledger a scan decides with, read from the journal: the book
    /// scanned, the open visits, and the count of loans of the worker the scan is for (the
    /// card scanned, or the session's). A rejected scan decides nothing and reads nothing.
    func readWindow(for scanned: Scanned) throws {
        var item: String?
        var worker = workflow.session?.worker.localHash
        switch scanned {
        case .book(let book): item = book.key
        case .worker(let w): worker = w.localHash
        case .control: break
        case .rejected: return
        }
        workflow.rebuild(ledger: try journal.window(item: item, worker: worker))
    }

    /// After a void: the open visits again, without the voided event (rare: a failed write
    /// that landed); the next scan reads its own window.
    func rebuildLedger() {
        do {
            workflow.rebuild(ledger: try journal.window(item: nil, worker: nil))
        } catch {
            logger.error("cannot read the journal's ledger after a void", metadata: ["error": "\(error)"])
        }
    }

    /// The workflow's next deadline (session timeout, a visit to close), monotonic µs.
    public var nextDeadlineMicros: Int64? {
        workflow.nextDeadline(now: workflowClock).map { max($0, autoCloseRetryMillis) * 1000 }
    }

    /// Sessions that timed out end; visits past their maximum are closed and recorded.
    public func tick() {
        let now = workflowClock
        workflow.expire(now: now)
        guard now.monotonicMillis >= autoCloseRetryMillis else { return }
        for draft in workflow.autoClose(now: now) {
            let message = "visit closed automatically after \(visitMaxMinutes) minutes"
            if !record(draft, Told(outcome: .visitEnded, message: message, automatic: true)) {
                autoCloseRetryMillis = now.monotonicMillis + 10_000
                return
            }
        }
    }
}
