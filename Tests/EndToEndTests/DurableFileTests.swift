import Foundation
import StationTesting
import XCTest

/// The box's link to its hub (`hub.json`, its credential inside) written over an old one
/// by the real `HubLink.save` in a process of its own, killed (SIGKILL, from strace) at
/// each file or descriptor system call the write makes, in turn (found between two marker
/// calls, so that nothing depends on strace reading paths out of the process).
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

    /// Runs the write under strace (its main thread, every file and descriptor call),
    /// killed at `inject` when given; its status, and the trace.
    func strace(_ dir: URL, inject: Call?) throws -> (status: Int32?, trace: String, errors: String) {
        let log = dir.deletingLastPathComponent().appendingPathComponent("\(dir.lastPathComponent).trace").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        var argv = ["strace", "-qq", "-o", log, "-e", "trace=%file,%desc"]
        if let inject { argv += ["-e", "inject=\(inject.name):signal=KILL:when=\(inject.occurrence)"] }
        argv += [ProjectPaths.executable("station-testtool"), "save-link", dir.path, "https://hub.example:8440", "box-1", "shelf-a", "new-credential-9876543210"]
        let c = try ChildProcess(argv)
        let status = c.wait(timeout: 60)
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "", c.standardError)
    }

    /// The calls the write itself makes, in order: those between the tool's two marker
    /// calls (`close(-4242)`, `close(-4343)`), each with its place among all the traced
    /// calls of its name since the process started, which is what strace's `when=` counts.
    func calls(_ dir: URL) throws -> [Call] {
        let run = try strace(dir, inject: nil)
        XCTAssertEqual(run.status, 0, "the write itself succeeds: \(run.errors)")
        var seen: [String: Int] = [:]
        var plan: [Call] = []
        var inside = false
        for line in run.trace.split(separator: "\n") {
            guard let open = line.firstIndex(of: "("), case let name = String(line[..<open]),
                  !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            seen[name, default: 0] += 1
            if line.hasPrefix("close(-4242)") { inside = true; continue }
            if line.hasPrefix("close(-4343)") { break }
            if inside { plan.append(Call(name: name, occurrence: seen[name]!)) }
        }
        XCTAssertFalse(plan.isEmpty, "no calls between the markers in the trace:\n\(run.trace)\n\(run.errors)")
        return plan
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
            let status = try strace(dir, inject: call).status
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
