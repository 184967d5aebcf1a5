import FuzzDriver
import StationFuzzing

/// `fuzz-config`: libFuzzer over `FuzzTargets.config`.
@main
enum FuzzConfig {
    static func main() { FuzzDriver.run(FuzzTargets.config) }
}
