import FuzzDriver
import StationFuzzing

/// `fuzz-scan`: libFuzzer over `FuzzTargets.scan`.
@main
enum FuzzScan {
    static func main() { FuzzDriver.run(FuzzTargets.scan) }
}
