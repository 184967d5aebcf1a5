import Foundation
import StationTesting
import XCTest

/// The annotated example config is kept true: `stationd run --config docs/station.example.toml`
/// gets past the config check (and stops at the device tables, which are not installed here).
final class ExampleConfigTests: XCTestCase {
    func testTheExampleConfigIsValid() throws {
        let child = try ChildProcess([ProjectPaths.executable("stationd"), "run", "--config", ProjectPaths.file("docs/station.example.toml")])
        XCTAssertNotEqual(child.wait(timeout: 20), 0)
        let err = child.standardError
        XCTAssertFalse(err.contains("config:"), "the example has config problems:\n\(err)")
        XCTAssertTrue(err.contains("device table:") || err.contains("state"), err)
    }
}
