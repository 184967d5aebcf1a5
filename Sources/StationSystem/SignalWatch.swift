import CSystemShim
import Glibc

/// Signals delivered as a readable descriptor, so the input loop handles them between
/// reads, never in the middle of one. A handler writes each signal into a pipe: it works
/// whichever thread the kernel picks (GRDB's, Dispatch's, a preloaded library's).
public final class SignalWatch {
    private let descriptor: OwnedDescriptor

    public init(signals: [Int32]) throws {
        let fd = try Syscall.call("sigaction") { signals.withUnsafeBufferPointer { station_signal_pipe($0.baseAddress, Int32($0.count)) } }
        descriptor = OwnedDescriptor(fd)
    }

    public var fd: Int32 { descriptor.raw }

    /// The signals that arrived since the last call.
    public func drain() -> [Int32] {
        var out: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor.raw, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            out += buffer[0..<n].map { Int32($0) }
        }
        return out
    }
}
