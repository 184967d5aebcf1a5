/// Watches the key timing of a keyboard nobody configured, to tell the site manager when
/// it is probably a scanner. It sees only times, never which keys: an unknown keyboard may
/// be a person typing a password.
public struct BurstDetector: Sendable {
    /// Key presses closer than this belong to one burst.
    public var maxGapMicros: Int64 = 15_000
    /// How many presses at that pace make a scanner-like burst.
    public var minPresses: Int = 8

    private var lastPressAt: Int64?
    private var run = 0
    public private(set) var reported = false

    public init() {}

    /// Records one key press; true exactly once, when the first scanner-like burst completes.
    public mutating func press(at time: Int64) -> Bool {
        if let last = lastPressAt, time - last <= maxGapMicros {
            run += 1
        } else {
            run = 1
        }
        lastPressAt = time
        if !reported && run >= minPresses {
            reported = true
            return true
        }
        return false
    }
}
