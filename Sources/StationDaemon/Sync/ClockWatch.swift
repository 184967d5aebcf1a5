import StationProtocol

/// Learns how wrong this boot's wall clock was while it was unsynchronised, without ever
/// rewriting an event: when NTP synchronises it (the wall clock steps; CLOCK_MONOTONIC
/// does not, so the step is the change in wall − monotonic), or, while it is still
/// unsynchronised, from the hub's `Date` header. Pure: the caller reads the clocks.
public struct ClockWatch: Sendable, Equatable {
    public let bootID: String
    /// wall − monotonic (ms) as first seen while unsynchronised in this process.
    var unsynchronisedBase: Int64?
    var hubDateOffset: Int64?

    /// Steps smaller than this are noise (NTP slews small errors anyway).
    public static let ntpThresholdMillis: Int64 = 1000
    /// The hub's Date has one-second resolution and a round trip on top.
    public static let hubDateThresholdMillis: Int64 = 2000

    public init(bootID: String) { self.bootID = bootID }

    /// The clocks now. Returns a correction when the clock has just become synchronised
    /// after running unsynchronised in this process, with a step worth recording.
    public mutating func observe(synchronized: Bool, wallMillis: Int64, monotonicMicros: Int64) -> ClockCorrection? {
        let base = wallMillis - monotonicMicros / 1000
        guard synchronized else {
            if unsynchronisedBase == nil { unsynchronisedBase = base }
            return nil
        }
        guard let before = unsynchronisedBase else { return nil }
        unsynchronisedBase = nil
        hubDateOffset = nil
        let offset = base - before
        guard abs(offset) >= Self.ntpThresholdMillis else { return nil }
        return ClockCorrection(bootID: bootID, offsetMillis: offset, source: .ntp, recordedWallMillis: wallMillis, monotonicMicros: monotonicMicros)
    }

    /// The hub's `Date` against this box's unsynchronised clock: a correction when they
    /// differ by more than the Date's precision and by more than the last one recorded.
    public mutating func hubDate(hubMillis: Int64, localWallMillis: Int64, monotonicMicros: Int64, synchronized: Bool) -> ClockCorrection? {
        guard !synchronized else { return nil }
        let offset = hubMillis - localWallMillis
        guard abs(offset) > Self.hubDateThresholdMillis else { return nil }
        if let last = hubDateOffset, abs(last - offset) <= Self.hubDateThresholdMillis { return nil }
        hubDateOffset = offset
        return ClockCorrection(bootID: bootID, offsetMillis: offset, source: .hubDate, recordedWallMillis: localWallMillis, monotonicMicros: monotonicMicros)
    }
}
