import Foundation

/// The console's rules of access as values: how long a session lives, how failed logins
/// are paced, what a password must be. The store keeps the state; these decide.
public enum ConsoleAccess {
    /// A session ends after this long without a request…
    public static let idleMillis: Int64 = 30 * 60_000
    /// …and this long after its login, whatever happened since.
    public static let absoluteMillis: Int64 = 12 * 3_600_000
    /// How often a session's last use is written (a page view is not a write each time).
    static let touchEveryMillis: Int64 = 60_000

    /// Whether a session created at `created` and last used at `seen` is still live at `now`.
    public static func isLive(createdMillis: Int64, seenMillis: Int64, nowMillis: Int64) -> Bool {
        nowMillis - seenMillis < idleMillis && nowMillis - createdMillis < absoluteMillis && nowMillis >= createdMillis - 60_000
    }

    /// Failed logins allowed before pacing starts, for one account or one address.
    public static let freeFailures: Int64 = 5
    /// The longest wait pacing imposes.
    public static let longestWaitMillis: Int64 = 15 * 60_000
    /// Failures older than this are forgotten.
    public static let failureMemoryMillis: Int64 = 3_600_000

    /// How long after the last failure the next attempt waits, after `failures` in a row:
    /// none for the first five, then 1 s, 2 s, 4 s … doubling to 15 minutes. While it lasts
    /// every attempt is refused without the password being looked at.
    public static func waitMillis(failures: Int64) -> Int64 {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 20)
        return min(1000 << doublings, longestWaitMillis)
    }

    /// The failures that still count at `now`, after `failures` the last of which was at `last`.
    public static func standing(failures: Int64, lastMillis: Int64, nowMillis: Int64) -> Int64 {
        nowMillis - lastMillis >= failureMemoryMillis ? 0 : failures
    }

    /// How many milliseconds an attempt at `now` must still wait (0: it may be tried).
    public static func remainingWait(failures: Int64, lastMillis: Int64, nowMillis: Int64) -> Int64 {
        let counted = standing(failures: failures, lastMillis: lastMillis, nowMillis: nowMillis)
        return max(0, lastMillis + waitMillis(failures: counted) - nowMillis)
    }

    /// A password's length in bytes: bcrypt reads 72 at most, so a longer one is refused
    /// rather than silently cut.
    public static let passwordBytes = 10...72

    /// Refuses a password the hub would not keep, saying why.
    public static func checkPassword(_ password: String, name: String) throws {
        let bytes = password.utf8.count
        guard passwordBytes.contains(bytes) else {
            throw HubError(.invalid, "a password is \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes long (this one is \(bytes))", code: "weak-password")
        }
        guard !password.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) else {
            throw HubError(.invalid, "a password holds no line breaks or NUL", code: "weak-password")
        }
        guard password.lowercased() != name.lowercased(), Set(password).count >= 4 else {
            throw HubError(.invalid, "a password is not the account's name and has at least 4 different characters", code: "weak-password")
        }
    }

    /// An operator's name: what the audit log calls them.
    public static func checkName(_ name: String) throws {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }) else {
            throw HubError(.invalid, "an operator's name is 1 to 64 letters, digits, -, _, . or @", code: "invalid-name")
        }
    }

    /// Two secrets compared in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
