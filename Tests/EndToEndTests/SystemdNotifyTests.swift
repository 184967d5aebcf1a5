import Foundation
import Glibc
import StationTesting
import XCTest

/// The sd_notify protocol against a socket this test binds: READY=1 after start with a
/// status line, WATCHDOG=1 only while probes pass through every stage (it stops while the
/// journal is locked), STOPPING=1 on SIGTERM.
final class SystemdNotifyTests: XCTestCase {
    /// A bound AF_UNIX datagram socket collecting messages with their arrival times.
    final class NotifySocket {
        let path: String
        let fd: Int32
        var messages: [(at: Date, text: String)] = []

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            guard fd >= 0, rc == 0 else { throw ChildProcess.ProcessError(description: "cannot bind \(path): \(String(cString: strerror(errno)))") }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Receives for `seconds`, or until `until` matches a message.
        @discardableResult
        func receive(for seconds: Double, until: ((String) -> Bool)? = nil) -> Bool {
            let end = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < end {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { continue }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                messages.append((Date(), text))
                if let until, until(text) { return true }
            }
            return false
        }

        func count(_ text: String, from: Date, to: Date) -> Int {
            messages.filter { $0.text == text && $0.at >= from && $0.at <= to }.count
        }
    }

    func testReadyWatchdogWhileHealthyAndStopping() throws {
        let box = try TestBox(label: "notify")
        let socket = try NotifySocket(path: box.directory.appendingPathComponent("notify.sock").path)
        let events = try box.events(named: "one", scans: ["LIB-000001"])
        let child = try box.run(events: events, environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1200000"])

        XCTAssertTrue(socket.receive(for: 20) { $0.hasPrefix("READY=1") }, "no READY=1: \(socket.messages) \(child.standardError)")
        let ready = socket.messages.first { $0.text.hasPrefix("READY=1") }!.text
        XCTAssertTrue(ready.contains("STATUS=1 scanner(s), 0 event(s) waiting for the hub"), ready)
        XCTAssertTrue(child.readLines(timeout: 20) { $0.contains("\"recorded\":true") })

        // Healthy: keep-alives about every 400 ms.
        let healthyFrom = Date()
        socket.receive(for: 2.5)
        XCTAssertGreaterThanOrEqual(socket.count("WATCHDOG=1", from: healthyFrom, to: Date()), 3, "\(socket.messages)")
        XCTAssertTrue(socket.messages.contains { $0.text.contains("STATUS=1 scanner(s), 1 event(s) waiting") }, "the status follows the journal")

        // A stuck stage: another process holds the journal's write lock for 4 s.
        let lock = try ChildProcess([
            "python3", "-c",
            "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(4)\nc.execute('ROLLBACK')",
            box.journalPath,
        ])
        XCTAssertTrue(lock.readLines(timeout: 10) { $0 == "locked" }, lock.standardError)
        let stuckFrom = Date().addingTimeInterval(0.6)
        socket.receive(for: 3.3)
        XCTAssertEqual(socket.count("WATCHDOG=1", from: stuckFrom, to: Date()), 0, "keep-alives while the journal could not be written: \(socket.messages)")
        XCTAssertEqual(lock.wait(timeout: 10), 0)

        // Unstuck: keep-alives resume.
        let resumedFrom = Date()
        XCTAssertTrue(socket.receive(for: 8) { $0 == "WATCHDOG=1" }, "keep-alives did not resume")
        XCTAssertGreaterThan(socket.count("WATCHDOG=1", from: resumedFrom, to: Date()), 0)

        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertTrue(socket.receive(for: 10) { $0.hasPrefix("STOPPING=1") }, "no STOPPING=1")
        XCTAssertEqual(child.wait(timeout: 20), 0)
        XCTAssertTrue(child.standardError.contains("watchdog probe"), "the missed keep-alives are logged")
        // ...and, being errors, reach the site manager's device log.
        let logs = try ChildProcess([ProjectPaths.executable("stationctl"), "logs", "--state-dir", box.stateDirectory, "--level", "error", "--json"])
        XCTAssertEqual(logs.wait(timeout: 20), 0, logs.standardError)
        XCTAssertTrue(logs.lines.contains { $0.contains("watchdog probe") && $0.contains("\"level\":\"error\"") }, logs.lines.joined(separator: "\n"))
    }
}
