import Foundation

/// The fault scenarios run at two sizes: as tests in `make test` (enough to prove the
/// property each time) and under `make torture` (`STATION_TORTURE=1`), where every
/// scenario repeats more often. A seed can be pinned with `STATION_TORTURE_SEED` to rerun
/// a failure. Each scenario hands its independent checker's verdict to `Torture.report`,
/// which `make torture` collects from `STATION_TORTURE_REPORT` into its table.
public enum Torture {
    static let environment = ProcessInfo.processInfo.environment

    /// True under `make torture`.
    public static var enabled: Bool { environment["STATION_TORTURE"] == "1" }

    /// `test` iterations in `make test`, `torture` under `make torture`.
    public static func iterations(test: Int, torture: Int) -> Int { enabled ? torture : test }

    /// A fresh seed, or the pinned one.
    public static func seed() -> UInt64 {
        if let pinned = environment["STATION_TORTURE_SEED"], let value = UInt64(pinned) { return value }
        return UInt64.random(in: 1..<(1 << 31))
    }

    /// One scenario's result: the checker's first line (`N scans, N acknowledged, 0 lost,
    /// 0 duplicated`), its seed (nil for a fixed choreography) and how often the fault struck.
    public static func report(scenario: String, seed: UInt64?, faults: String, checker: String) {
        let seed = seed.map { String($0) } ?? "fixed"
        print("torture \(scenario) (seed \(seed), \(faults)): \(checker)")
        guard let path = environment["STATION_TORTURE_REPORT"] else { return }
        let line: [String: Any] = ["scenario": scenario, "seed": seed, "faults": faults, "checker": checker]
        guard let data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]),
            let handle = FileHandle(forWritingAtPath: path) ?? {
                FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)
            }()
        else { return }
        handle.seekToEndOfFile()
        handle.write(data + Data("\n".utf8))
        try? handle.close()
    }
}
