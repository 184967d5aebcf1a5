import Foundation
import StationTesting
import XCTest

/// The box's link to its hub (`hub.json`, its credential inside) written over an old one
/// by the real `HubLink.save` in a process of its own, killed (SIGKILL, from strace) at
/// each system call it makes on the link, its temporary file or their directory in turn.
/// Whichever call it dies at, the directory holds the old link or the new one, complete,
/// never neither, and no file in it that holds a credential is readable by others.
final class DurableFileTests: XCTestCase {
    static let old = #"{"boxID":"box-1","credential":"old-credential-0123456789","siteID":"shelf-a","url":"https://hub.example:8440"}"#

    struct Call: Equatable {
        var name: String
        /// Its place among the traced calls of that name (strace's `when=`).
        var occurrence: Int
    }

    func prepared() throws -> URL {
        let dir = try ProjectPaths.temporaryDirectory("durable")
        let link = dir.appendingPathComponent("hub.json").path
        FileManager.default.createFile(atPath: link, contents: Data(Self.old.utf8), attributes: [.posixPermissions: 0o600])
        return dir
    }

    func strace(_ dir: URL, inject: Call?, log: String) throws -> Int32? {
        let d = dir.path
        var argv = ["strace", "-f", "-qq", "-o", log, "-e", "trace=%file,%desc", "-P", d, "-P", "\(d)/hub.json", "-P", "\(d)/hub.json.tmp"]
        if let inject { argv += ["-e", "inject=\(inject.name):signal=KILL:when=\(inject.occurrence)"] }
        argv += [ProjectPaths.executable("station-testtool"), "save-link", d, "https://hub.example:8440", "box-1", "shelf-a", "new-credential-9876543210"]
        let c = try ChildProcess(argv)
        return c.wait(timeout: 60)
    }

    /// The calls the write makes on the link's files, in order.
    func calls(_ dir: URL) throws -> [Call] {
        let log = dir.appendingPathComponent("trace.log").path
        XCTAssertEqual(try strace(dir, inject: nil, log: log), 0, "the write itself succeeds")
        var seen: [String: Int] = [:]
        return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line in
            // `PID name(args) = result`, or `name(args) = result`
            let text = line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
            guard let name = text.split(separator: "(").first.map(String.init), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty else { return nil }
            seen[name, default: 0] += 1
            return Call(name: name, occurrence: seen[name]!)
        }
    }

    func testTheBoxLinkIsTheOldOrTheNewOneWhereverTheWriteIsKilled() throws {
        let plan = try calls(try prepared())
        let names = plan.map(\.name)
        XCTAssertTrue(names.contains { $0.hasPrefix("rename") || $0 == "link" || $0 == "linkat" }, "\(names)")
        XCTAssertTrue(names.contains("fsync"), "\(names)")
        var outcomes: [String: Int] = [:]
        for call in plan {
            let dir = try prepared()
            defer { try? FileManager.default.removeItem(at: dir) }
            let status = try strace(dir, inject: call, log: dir.appendingPathComponent("kill.log").path)
            XCTAssertNotEqual(status, 0, "killed at \(call.name) #\(call.occurrence)")
            let link = dir.appendingPathComponent("hub.json").path
            let text = (try? String(contentsOfFile: link, encoding: .utf8)) ?? "(absent)"
            let isOld = text == Self.old
            let isNew = text.contains("new-credential-9876543210") && (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil
            XCTAssertTrue(isOld || isNew, "killed at \(call.name) #\(call.occurrence): hub.json is \(text)")
            outcomes[isOld ? "old" : "new", default: 0] += 1
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("hub.json") {
                let path = dir.appendingPathComponent(name).path
                let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
                XCTAssertEqual(mode & 0o077, 0, "killed at \(call.name) #\(call.occurrence): \(name) is mode \(String(mode, radix: 8))")
            }
        }
        print("killed at each of \(plan.count) calls (\(names.joined(separator: " "))): \(outcomes)")
        XCTAssertGreaterThan(outcomes["old"] ?? 0, 0)
        XCTAssertGreaterThan(outcomes["new"] ?? 0, 0)
    }
}
