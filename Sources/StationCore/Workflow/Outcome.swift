/// What the worker is told about one scan (one list for the whole product).
public enum Outcome: String, Sendable, Equatable, CaseIterable, Codable {
    /// A credential opened (or renewed) a session; records nothing.
    case sessionOpened = "session-opened"
    case checkedOut = "checked-out"
    case renewed
    case returned
    case visitStarted = "visit-started"
    case visitEnded = "visit-ended"
    /// A control card switched mode or chose a service; records nothing.
    case modeChanged = "mode-changed"
    /// Recorded, but the worker is told something (limit reached, book listed elsewhere).
    case warning
    /// Not recorded: policy.
    case refused
    /// Not recorded: not a valid code.
    case misread
    /// Not recorded: the box cannot write.
    case storageError = "storage-error"
    /// A requested copy trapped here: recorded; the worker puts it aside to be sent on.
    case transferOut = "transfer-out"
    /// A requested copy arrived here: recorded; it goes on the hold shelf for its worker.
    case transferIn = "transfer-in"
    /// The worker borrowed the copy held for them: recorded (a check-out).
    case holdReady = "hold-ready"
    /// A copy on the hold shelf, scanned by anyone but its worker: not recorded.
    case holdRefused = "hold-refused"
    /// A stocktake began (recorded): book scans count what is on the shelf until it ends.
    case stocktakeStarted = "stocktake-started"
    /// A book counted in a stocktake: recorded the first time, told again as counted.
    case stocktakeSeen = "stocktake-seen"
    /// The stocktake ended (recorded): the kiosk lends again.
    case stocktakeEnded = "stocktake-ended"

    /// Whether this outcome stands for a recorded event (told only after it is durable).
    public var records: Bool {
        switch self {
        case .checkedOut, .renewed, .returned, .visitStarted, .visitEnded, .warning, .transferOut, .transferIn, .holdReady, .stocktakeStarted, .stocktakeSeen,
            .stocktakeEnded:
            true
        default: false
        }
    }
}
