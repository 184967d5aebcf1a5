import CSystemShim
import Foundation
import Glibc

/// The clocks an event is stamped with: wall time and whether NTP has synchronised it,
/// the boot id, and CLOCK_MONOTONIC.
public enum SystemClock {
    public static func wallMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func monotonicMicros() -> Int64 { StationSystem.monotonicMicros() }

    /// Whether the kernel considers the wall clock synchronised (adjtimex: not TIME_ERROR).
    /// Under `ProtectClock=yes` adjtimex is filtered; then systemd-timesyncd's flag file
    /// tells.
    public static func isSynchronized() -> Bool {
        switch station_clock_synchronized() {
        case 1: true
        case 0: false
        default: FileManager.default.fileExists(atPath: "/run/systemd/timesync/synchronized")
        }
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`), read once.
    public static let bootID: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id") else { return "unknown" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()
}
