import CEvdevShim
import Glibc

/// Signals delivered as a readable descriptor (signalfd), so the input loop handles them
/// between reads, never in the middle of one.
public final class SignalWatch {
    private let descriptor: OwnedDescriptor

    /// Blocks `signals` for this thread (call before any other thread starts) and watches them.
    public init(signals: [Int32]) throws {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        try Syscall.call("sigprocmask") { sigprocmask(SIG_BLOCK, &set, nil) }
        descriptor = OwnedDescriptor(try Syscall.call("signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) })
    }

    public var fd: Int32 { descriptor.raw }

    /// The signals that arrived since the last call.
    public func drain() -> [Int32] {
        var out: [Int32] = []
        var info = signalfd_siginfo()
        while read(descriptor.raw, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            out.append(Int32(info.ssi_signo))
        }
        return out
    }
}
