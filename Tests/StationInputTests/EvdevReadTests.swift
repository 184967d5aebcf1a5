import Foundation
import Glibc
import XCTest

@testable import StationInput

/// Reading `struct input_event`s from a node whose bytes arrive as a stream (here a FIFO):
/// an event split across two reads is read whole, and a timestamp no clock could have
/// stamped does not trap.
final class EvdevReadTests: XCTestCase {
    /// One `struct input_event` as 64-bit Linux lays it out (timeval, type, code, value).
    func event(sec: Int64, usec: Int64, type: UInt16, code: UInt16, value: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: sec.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: usec.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: type.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: code.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        return bytes
    }

    func testAnEventSplitAcrossReadsIsReadWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evdev-read-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("event0").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let device = try EvdevDevice(devnode: path)
        defer { device.close() }
        let writer = open(path, O_WRONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { Glibc.close(writer) }

        let bytes = event(sec: 100, usec: 250, type: 1, code: 30, value: 1) + event(sec: 100, usec: 500, type: 0, code: 0, value: 0)
            + event(sec: 1 << 62, usec: 7, type: 4, code: 4, value: 458_977)
        // 1.5 events, then the rest.
        XCTAssertEqual(bytes.withUnsafeBytes { write(writer, $0.baseAddress, 36) }, 36)
        guard case .events(let first) = try device.readAvailable() else { return XCTFail("the device is not gone") }
        XCTAssertEqual(first, [InputEventRecord(kernelMicros: 100_000_250, type: 1, code: 30, value: 1)])
        XCTAssertEqual(bytes.withUnsafeBytes { write(writer, $0.baseAddress! + 36, bytes.count - 36) }, bytes.count - 36)
        guard case .events(let rest) = try device.readAvailable() else { return XCTFail("the device is not gone") }
        XCTAssertEqual(rest, [
            InputEventRecord(kernelMicros: 100_000_500, type: 0, code: 0, value: 0),
            InputEventRecord(kernelMicros: 0, type: 4, code: 4, value: 458_977),
        ])
    }
}
