import Foundation
import Glibc
import StationSystem
import StationTesting
import XCTest

/// DurableFile as a value: what it leaves on disk (the crash behaviour is shown by a real
/// process killed between its calls: EndToEndTests/DurableFileTests).
final class DurableFileUnitTests: XCTestCase {
    func mode(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1 }

    func testTheFileHasItsModeWhateverTheUmaskAndReplacesTheOldOne() throws {
        let dir = try ProjectPaths.temporaryDirectory("durable-unit")
        let path = dir.appendingPathComponent("secret").path
        let old = umask(0)
        defer { umask(old) }
        try DurableFile.write(Data("one".utf8), to: path, mode: 0o600)
        XCTAssertEqual(try mode(path), 0o600)
        // A temporary file left by a write that died is no obstacle.
        XCTAssertTrue(FileManager.default.createFile(atPath: path + ".tmp", contents: Data("half".utf8)))
        try DurableFile.write(Data("two".utf8), to: path, mode: 0o640)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try mode(path), 0o640)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["secret"], "no temporary file left behind")
    }

    func testAKeyIsNeverWrittenOverAnExistingOne() throws {
        let dir = try ProjectPaths.temporaryDirectory("durable-unit")
        let path = dir.appendingPathComponent("key").path
        try DurableFile.write(Data("first".utf8), to: path, mode: 0o600, replacing: false)
        XCTAssertThrowsError(try DurableFile.write(Data("second".utf8), to: path, mode: 0o600, replacing: false)) { error in
            XCTAssertEqual((error as? SystemError)?.errno, EEXIST)
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["key"])
    }

    func testADirectoryThatCannotBeWrittenIsAnErrorNamingThePath() throws {
        XCTAssertThrowsError(try DurableFile.write(Data(), to: "/nonexistent-dir/x", mode: 0o600)) { error in
            XCTAssertEqual((error as? SystemError)?.call, "open")
            XCTAssertEqual((error as? SystemError)?.path, "/nonexistent-dir/x.tmp")
        }
    }
}
