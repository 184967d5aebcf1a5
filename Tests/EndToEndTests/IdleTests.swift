import Foundation
import StationTesting
import XCTest

/// An idle box is not woken: nothing of the daemon's runs while nothing happens.
final class IdleTests: XCTestCase {
    /// Wake-ups (context switches) of each of a process's threads so far, by thread id and name.
    static func wakeups(_ pid: pid_t) -> [String: (name: String, count: Int)] {
        var counts: [String: (String, Int)] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for tid in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8) else { continue }
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            let switches = status.split(separator: "\n").filter { $0.hasPrefix("voluntary_ctxt_switches") || $0.hasPrefix("nonvoluntary_ctxt_switches") }
            counts[tid] = (name, switches.compactMap { Int($0.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") }.reduce(0, +))
        }
        return counts
    }

    /// A box that scanned a book and showed both its pages (the manager page asks the scan
    /// loop, with a fallback timer, and reads the journal; its items sheet reads the
    /// catalog cache) then makes no wake-up at all: libdispatch's once-a-second tick never
    /// starts (QuietThreads), and the journal is checkpointed by the WAL's length, not on a
    /// clock nor a while after the scan's commit.
    func testAnIdleBoxIsNotWokenAfterAScanAndItsPages() throws {
        try assertNotWoken(executable: nil)
    }

    /// The same for the stationd the packages ship: linked again with the Swift runtime
    /// inside (scripts/static-link.py, as scripts/deb does), whose symbols are not exported,
    /// so the global-executor hook must be found without dlsym.
    func testThePackagedStationdIsNotWokenEither() throws {
        let out = try ProjectPaths.temporaryDirectory("idle-static").appendingPathComponent("stationd").path
        let config = ProjectPaths.executable("stationd").contains("/release/") ? "release" : "debug"
        let link = try ChildProcess(["bash", "-c", "cd \"$1\" && exec scripts/static-link.py \"$2\" stationd \"$3\"", "_", ProjectPaths.root.path, config, out])
        XCTAssertEqual(link.wait(timeout: 300), 0, link.standardError)
        try assertNotWoken(executable: out)
    }

    func assertNotWoken(executable: String?, file: StaticString = #filePath, line: UInt = #line) throws {
        let password = "idle-manager-\(UInt32.random(in: 0...UInt32.max))"
        let box = try TestBox(label: "idle", extra: """
            [pages]
            kiosk_port = 0
            manager_listen = "127.0.0.1:0"
            manager_password = "\(password)"
            """)
        let child = try box.run(events: try box.events(named: "idle", scans: ["LIB-000001"]), executable: executable)
        defer { _ = child.stopChildren(timeout: 20) }
        XCTAssertTrue(child.readLines(timeout: 30) { $0.contains("\"type\":\"outcome\"") }, child.standardError, file: file, line: line)
        let daemon = try XCTUnwrap(child.children().first, "umockdev-run started no daemon", file: file, line: line)
        let manager = try child.pageURL("manager page")
        // The items sheet reads the catalog cache (empty before a sync: 409, said on the page).
        for (user, url, status) in [
            (nil, try child.pageURL("kiosk page"), "200"), ("manager:\(password)", manager, "200"), ("manager:\(password)", manager + "cards/items", "409"),
        ] {
            let curl = try ChildProcess(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n"] + (user.map { ["-u", $0] } ?? []) + [url])
            XCTAssertEqual(curl.wait(timeout: 20), 0, file: file, line: line)
            XCTAssertEqual(curl.lines.last, status, url, file: file, line: line)
        }
        // Past what the scan and the requests set off.
        Thread.sleep(forTimeInterval: 12)
        let before = Self.wakeups(daemon)
        Thread.sleep(forTimeInterval: 8)
        let after = Self.wakeups(daemon)
        XCTAssertFalse(before.isEmpty, "no threads of \(daemon) to count", file: file, line: line)
        XCTAssertEqual(kill(daemon, 0), 0, "the daemon is gone: \(child.standardError)", file: file, line: line)
        XCTAssertEqual(Set(after.keys), Set(before.keys), "threads came and went", file: file, line: line)
        let woken = after.filter { $0.value.count > (before[$0.key]?.count ?? 0) }
            .map { "\($0.value.name) (\($0.key)): \($0.value.count - (before[$0.key]?.count ?? 0))" }
        XCTAssertEqual(woken, [], "threads woken in 8 s of idle", file: file, line: line)
    }
}
