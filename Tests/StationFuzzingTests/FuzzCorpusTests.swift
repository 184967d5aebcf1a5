import Foundation
import StationFuzzing
import StationTesting
import XCTest

/// Every input the fuzzers keep (`Tests/Fuzz/Corpus/TARGET`) and every finding they made
/// (`Tests/Fuzz/Findings/TARGET`, each kept once fixed) through the same target functions
/// `scripts/fuzz` runs under libFuzzer: a broken promise stops this process, as it stopped
/// the fuzzer.
final class FuzzCorpusTests: XCTestCase {
    func inputs(_ target: String) throws -> [(String, [UInt8])] {
        let root = ProjectPaths.root.appendingPathComponent("Tests/Fuzz")
        var found: [(String, [UInt8])] = []
        for kind in ["Corpus", "Findings"] {
            let dir = root.appendingPathComponent("\(kind)/\(target)")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() {
                found.append(("\(kind)/\(target)/\(name)", Array(try Data(contentsOf: dir.appendingPathComponent(name)))))
            }
        }
        return found
    }

    func replay(_ target: String, _ run: ([UInt8]) -> Void) throws {
        let all = try inputs(target)
        XCTAssertGreaterThanOrEqual(all.count, 5, "the \(target) corpus is kept in Tests/Fuzz/Corpus/\(target)")
        for (_, bytes) in all { run(bytes) }
    }

    func testTheBatchCorpusAndFindingsKeepTheirPromises() throws { try replay("batch", FuzzTargets.batch) }
    func testTheScanCorpusAndFindingsKeepTheirPromises() throws { try replay("scan", FuzzTargets.scan) }
    func testTheConfigCorpusAndFindingsKeepTheirPromises() throws { try replay("config", FuzzTargets.config) }
}
