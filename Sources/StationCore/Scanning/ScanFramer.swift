/// Turns one scanner's stream of characters into scans. One framer per scanner, so two
/// scanners' characters can never interleave.
///
/// Pure value: the caller feeds inputs with monotonic times (microseconds) and asks
/// ``deadline`` when to call ``expire(now:)`` for scanners without a suffix key.
public struct ScanFramer: Sendable {
    public struct Settings: Sendable, Equatable {
        public var suffix: SuffixKey
        /// For `suffix == .none`: the scan ends after this much silence.
        public var idleTimeoutMicros: Int64
        /// A scan longer than this is rejected as a stuck key or runaway stream.
        public var maxLength: Int
        /// Keys whose median gap exceeds this came from a person, not a scanner.
        public var typingGapMicros: Int64
        /// Recognise an AIM symbology identifier at the start of a scan.
        public var aimPrefix: Bool

        public init(
            suffix: SuffixKey = .enter, idleTimeoutMicros: Int64 = 60_000, maxLength: Int = 256,
            typingGapMicros: Int64 = 35_000, aimPrefix: Bool = true
        ) {
            self.suffix = suffix
            self.idleTimeoutMicros = idleTimeoutMicros
            self.maxLength = maxLength
            self.typingGapMicros = typingGapMicros
            self.aimPrefix = aimPrefix
        }
    }

    public enum Output: Sendable, Equatable {
        case scan(FramedScan)
        case rejected(ScanRejection)
    }

    public let settings: Settings
    private var buffer: [Character] = []
    private var keyTimes: [Int64] = []
    /// Set once a burst can no longer be trusted (too long, events dropped): everything
    /// until its end (the suffix key, or the idle timeout) is discarded.
    private var discarding = false
    /// Whether the discarding also ends at a pause of the idle time (after dropped events:
    /// the dropped scan's tail follows at scanner speed, a pause means a new scan). A stuck
    /// key's discarding ends only at the suffix.
    private var discardingEndsAtPause = false
    private var lastKeyAt: Int64?

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Whether characters of an unfinished scan are held.
    public var isIdle: Bool { buffer.isEmpty && !discarding }

    /// When ``expire(now:)`` must be called, if ever.
    public var deadline: Int64? {
        guard let last = lastKeyAt, !isIdle else { return nil }
        if settings.suffix == .none { return last + settings.idleTimeoutMicros }
        // With a suffix key, a burst that never ends is still released eventually: a
        // scanner mid-scan never pauses this long, so the partial input is judged (or,
        // when discarding, the discarding ends).
        return last + max(settings.idleTimeoutMicros, 2_000_000)
    }

    public mutating func feed(_ input: FramerInput) -> [Output] {
        switch input {
        case .text(let string, let at):
            var outputs: [Output] = []
            // A scanner without a suffix that starts a new code after the idle time.
            if let last = lastKeyAt, at - last >= settings.idleTimeoutMicros, settings.suffix == .none {
                outputs += finish()
            }
            if discarding, discardingEndsAtPause, let last = lastKeyAt, at - last >= settings.idleTimeoutMicros {
                discarding = false
                discardingEndsAtPause = false
            }
            lastKeyAt = at
            if discarding { return outputs }
            for ch in string {
                buffer.append(ch)
                keyTimes.append(at)
            }
            if buffer.count > settings.maxLength {
                discarding = true
                buffer.removeAll()
                keyTimes.removeAll()
                outputs.append(.rejected(.tooLong(limit: settings.maxLength)))
            }
            return outputs
        case .terminator(let key, let at):
            lastKeyAt = at
            // Enter always ends a scan; Tab only where it is the configured suffix, since
            // a Tab inside a scan is otherwise not part of any code we accept.
            if key == .enter || key == settings.suffix {
                return finish()
            }
            return []
        }
    }

    /// Ends an unfinished scan whose idle time has passed.
    public mutating func expire(now: Int64) -> [Output] {
        guard let deadline, now >= deadline else { return [] }
        return finish()
    }

    /// Throws away an unfinished scan because its input can no longer be trusted.
    /// With `discardRest`, the rest of the burst is thrown away too (after the kernel
    /// dropped events, what follows at scanner speed belongs to a scan whose start is
    /// lost; a key after a pause of the idle time starts a new scan); the rejection is
    /// then reported even when nothing was held yet, since the dropped events may have
    /// been a whole scan.
    public mutating func abandon(discardRest: Bool = false, at time: Int64 = 0, _ reason: (Int) -> ScanRejection) -> [Output] {
        let held = buffer.count
        reset()
        if discardRest {
            discarding = true
            discardingEndsAtPause = true
            lastKeyAt = time
            return [.rejected(reason(held))]
        }
        return held == 0 ? [] : [.rejected(reason(held))]
    }

    private mutating func reset() {
        buffer.removeAll()
        keyTimes.removeAll()
        discarding = false
        discardingEndsAtPause = false
        lastKeyAt = nil
    }

    private mutating func finish() -> [Output] {
        defer { reset() }
        if discarding || buffer.isEmpty { return [] }
        let gap = Self.medianGap(keyTimes)
        // A lone character, or characters at human pace, came from a person.
        if buffer.count >= 2, let gap, gap > settings.typingGapMicros {
            return [.rejected(.typing(medianGapMillis: Int(gap / 1000)))]
        }
        if buffer.count == 1 && settings.suffix == .none {
            return [.rejected(.typing(medianGapMillis: Int(settings.idleTimeoutMicros / 1000)))]
        }
        var text = String(buffer)
        var aim: String?
        if settings.aimPrefix, let (id, rest) = Self.splitAIM(text) {
            aim = id
            text = rest
        }
        return [.scan(FramedScan(text: text, aim: aim, firstKeyAt: keyTimes.first ?? 0, lastKeyAt: keyTimes.last ?? 0))]
    }

    static func medianGap(_ times: [Int64]) -> Int64? {
        guard times.count >= 2 else { return nil }
        var gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        gaps.sort()
        return gaps[gaps.count / 2]
    }

    /// `]` + symbology character + modifier character, followed by data (ISO/IEC 15424).
    static func splitAIM(_ text: String) -> (String, String)? {
        let chars = Array(text)
        guard chars.count > 3, chars[0] == "]", chars[1].isASCII, chars[1].isLetter,
            chars[2].isASCII, chars[2].isLetter || chars[2].isNumber
        else { return nil }
        return (String(chars[0..<3]), String(chars[3...]))
    }
}
