/// One complete scan as the scanner delivered it, before anything is recognised.
///
/// The text stays a string end to end: leading zeros and check characters matter.
public struct FramedScan: Sendable, Equatable {
    /// The scanned characters, without the AIM prefix and without the suffix.
    public var text: String
    /// The AIM symbology identifier (`]E0`, `]C1`, `]Q1`, ...) when the scanner sent one.
    public var aim: String?
    /// Monotonic time of the first and the last character, in microseconds.
    public var firstKeyAt: Int64
    public var lastKeyAt: Int64

    public init(text: String, aim: String? = nil, firstKeyAt: Int64 = 0, lastKeyAt: Int64 = 0) {
        self.text = text
        self.aim = aim
        self.firstKeyAt = firstKeyAt
        self.lastKeyAt = lastKeyAt
    }
}

/// Why a burst of input was not turned into a scan.
public enum ScanRejection: Sendable, Equatable {
    /// Characters arrived at human speed on a scanner-role device: someone typed.
    case typing(medianGapMillis: Int)
    /// More characters than any barcode carries: a stuck key or a runaway stream.
    case tooLong(limit: Int)
    /// The kernel dropped events (SYN_DROPPED); the partial scan cannot be trusted.
    case eventsDropped(partialLength: Int)
    /// The scanner went away in the middle of a scan.
    case unplugged(partialLength: Int)

    /// A stable machine-readable name, used in JSON output and logs.
    public var name: String {
        switch self {
        case .typing: "typing"
        case .tooLong: "too-long"
        case .eventsDropped: "events-dropped"
        case .unplugged: "unplugged"
        }
    }

    /// A sentence for a site manager. Never quotes the scanned characters: they may be a credential.
    public var detail: String {
        switch self {
        case .typing(let gap):
            "keys arrived at human typing speed (median gap \(gap) ms); a scanner sends them a few ms apart"
        case .tooLong(let limit):
            "more than \(limit) characters without a suffix: a stuck key or a misconfigured scanner"
        case .eventsDropped(let n):
            "the kernel dropped input events; discarded a partial scan of \(n) characters, please scan again"
        case .unplugged(let n):
            "the scanner was unplugged in the middle of a scan of \(n) characters"
        }
    }
}
