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

    /// Whether this outcome stands for a recorded event (told only after it is durable).
    public var records: Bool {
        switch self {
        case .checkedOut, .renewed, .returned, .visitStarted, .visitEnded, .warning: true
        default: false
        }
    }
}
