import CLibFuzzer
import Glibc

/// libFuzzer's driver over one target of ``StationFuzzing``: each `fuzz-TARGET` program's
/// main hands its target here; flags and inputs are libFuzzer's.
public enum FuzzDriver {
    /// The target libFuzzer's callback runs (a C function pointer captures nothing).
    nonisolated(unsafe) static var target: ([UInt8]) -> Void = { _ in }

    public static func run(_ target: @escaping ([UInt8]) -> Void) -> Never {
        Self.target = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                FuzzDriver.target(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
                return 0
            })
    }
}
