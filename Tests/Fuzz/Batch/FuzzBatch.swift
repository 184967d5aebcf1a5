import FuzzDriver
import StationFuzzing

/// `fuzz-batch`: libFuzzer over `FuzzTargets.batch`.
@main
enum FuzzBatch {
    static func main() { FuzzDriver.run(FuzzTargets.batch) }
}
