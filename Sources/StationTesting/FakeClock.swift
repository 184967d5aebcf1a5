import Foundation

/// Days passing for one process alone (a hub, a box), with Debian's libfaketime.
public enum FakeClock {
    /// The environment that runs a process `days` ahead of the machine's clock (Debian's
    /// libfaketime, installed by scripts/bootstrap): the wall clock only, so its timers
    /// and timeouts still run in real time. Days pass for that process alone.
    public static func ahead(days: Int) throws -> [String: String] {
        let candidates = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"].map { $0 + "/faketime/libfaketimeMT.so.1" }
        guard let library = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ChildProcess.ProcessError(description: "libfaketime is not installed (apt package faketime): run scripts/bootstrap")
        }
        // FAKETIME_SHARED is given (naming nothing: the library makes its own and writes
        // its name over this one) because a variable added at start-up moves `environ`,
        // and Swift's runtime on Linux finds the arguments beside it: without it the
        // process starts with none.
        return ["LD_PRELOAD": library, "FAKETIME": "+\(days)d", "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_SHARED": "/station-none /station-none"]
    }
}
