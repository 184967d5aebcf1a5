/// The kinds of journal event a box records.
public enum EventKind: String, Sendable, Equatable, Codable, CaseIterable {
    case checkout
    case renewal
    case `return`
    case visitStart = "visit-start"
    case visitEnd = "visit-end"
    /// Compensates an event the worker was told was not recorded, found durable after all.
    case void
    /// A requested copy trapped at the box that holds it, on its way to the request's
    /// pickup site (`destination`); any loan of it ends here.
    case transferOut = "transfer-out"
    /// A requested copy arrived at the request's pickup site: on the hold shelf for it.
    case transferIn = "transfer-in"
    /// A stocktake began at this box (a site manager's card); its `seen` events refer to it.
    case stocktakeStart = "stocktake-start"
    /// A book found on the shelf during a stocktake: no loan changes.
    case seen
    /// The stocktake this refers to ended.
    case stocktakeEnd = "stocktake-end"
}

/// A book as an event names it.
public struct ItemRef: Sendable, Equatable, Hashable, Codable {
    /// `label:LIB-000123` for an item label, `isbn:9787111213826` for a book known only by
    /// its ISBN (several copies, no label), `gtin:...` for periodicals and UPC-A.
    public var key: String
    /// The title (ISBN-13 / GTIN) where the code carries it.
    public var title: String?
    public var addOn: String?

    public init(key: String, title: String? = nil, addOn: String? = nil) {
        self.key = key
        self.title = title
        self.addOn = addOn
    }

    public init(_ book: BookCode) {
        switch book.kind {
        case .itemLabel: self.init(key: "label:\(book.normalized)")
        case .isbn13, .isbn10: self.init(key: "isbn:\(book.normalized)", title: book.normalized, addOn: book.addOn)
        case .issn, .upcA: self.init(key: "gtin:\(book.normalized)", title: book.normalized, addOn: book.addOn)
        }
    }

    /// Known only by its title: copies are interchangeable.
    public var isTitleOnly: Bool { !key.hasPrefix("label:") }
}

/// A worker as an event names them: never the number.
public struct WorkerRef: Sendable, Equatable, Hashable, Codable {
    public var kind: CredentialKind
    /// Box-local keyed hash: the same worker at this box.
    public var localHash: String
    public var masked: String
    /// Sealed to the hub; nil where the credential is already a pseudonym (an e-card), and
    /// at the hub once it has derived the pseudonym.
    public var sealed: SealedCredential?
    /// The union-wide pseudonym: set by the hub (with a key boxes never hold), never by a box.
    public var pseudonym: String?

    public init(kind: CredentialKind, localHash: String, masked: String, sealed: SealedCredential?, pseudonym: String? = nil) {
        self.kind = kind
        self.localHash = localHash
        self.masked = masked
        self.sealed = sealed
        self.pseudonym = pseudonym
    }

    public init(_ p: ProtectedCredential) {
        self.init(kind: p.kind, localHash: p.localHash, masked: p.masked, sealed: p.sealed)
    }

    public static func == (a: WorkerRef, b: WorkerRef) -> Bool { a.localHash == b.localHash }
    public func hash(into h: inout Hasher) { h.combine(localHash) }
}

/// What the workflow asks to record; the journal gives it a `seq` and a time.
public struct EventDraft: Sendable, Equatable, Codable {
    public var kind: EventKind
    public var scannerID: String?
    public var item: ItemRef?
    public var worker: WorkerRef?
    /// Site-local date `YYYY-MM-DD`.
    public var dueDate: String?
    public var service: String?
    /// What operators should know: `drift`, `returned-without-loan`, `over-limit`,
    /// `on-loan-to-another-worker`, `title-only-oldest-loan`, `auto-closed`.
    public var flags: [String]
    /// The `seq` this event refers to: the loan a return closes, the visit an end ends,
    /// the event a void cancels.
    public var refersTo: Int64?
    /// The request a transfer serves (the hub's request id).
    public var request: String?
    /// Where a `transfer-out` sends the copy: the request's pickup site.
    public var destination: String?

    public init(
        kind: EventKind, scannerID: String? = nil, item: ItemRef? = nil, worker: WorkerRef? = nil, dueDate: String? = nil,
        service: String? = nil, flags: [String] = [], refersTo: Int64? = nil, request: String? = nil, destination: String? = nil
    ) {
        self.kind = kind
        self.scannerID = scannerID
        self.item = item
        self.worker = worker
        self.dueDate = dueDate
        self.service = service
        self.flags = flags
        self.refersTo = refersTo
        self.request = request
        self.destination = destination
    }
}

/// When an event happened, as well as the box can tell.
public struct EventTime: Sendable, Equatable, Codable {
    /// Wall clock, milliseconds since 1970.
    public var wallMillis: Int64
    /// Whether the wall clock was synchronised (NTP) when the event was recorded.
    public var synchronized: Bool
    public var bootID: String
    /// CLOCK_MONOTONIC at the event, microseconds since boot.
    public var monotonicMicros: Int64

    public init(wallMillis: Int64, synchronized: Bool, bootID: String, monotonicMicros: Int64) {
        self.wallMillis = wallMillis
        self.synchronized = synchronized
        self.bootID = bootID
        self.monotonicMicros = monotonicMicros
    }
}

/// One immutable journal record of a box, identified by (`boxID`, `seq`).
public struct JournalEvent: Sendable, Equatable, Codable {
    public var boxID: String
    public var seq: Int64
    public var siteID: String
    /// Bumped when the box declares a gap (a corrupt journal replaced after salvage).
    public var epoch: Int
    public var time: EventTime
    public var draft: EventDraft

    public init(boxID: String, seq: Int64, siteID: String, epoch: Int, time: EventTime, draft: EventDraft) {
        self.boxID = boxID
        self.seq = seq
        self.siteID = siteID
        self.epoch = epoch
        self.time = time
        self.draft = draft
    }
}
