import StationConfigFile
import XCTest

/// A box's identity: named in the config, or left to the enrollment card (one image for a
/// whole union), never half of each.
final class IdentityTests: XCTestCase {
    func parse(_ box: String) -> Result<StationConfig, ConfigProblems> {
        StationConfig.parse("[box]\n\(box)\n[site]\nkind = \"bookshelf\"\n", file: "station.toml")
    }

    func testNamedOrLeftToTheCardButNotHalf() throws {
        let named = try parse("id = \"box-1\"\nsite = \"site-a\"").get()
        XCTAssertFalse(named.identityFromCard)
        XCTAssertEqual([named.boxID, named.siteID, named.kiosk.siteID], ["box-1", "site-a", "site-a"])

        let fromCard = try parse("").get()
        XCTAssertTrue(fromCard.identityFromCard)
        let adopted = fromCard.adopting(boxID: "box-9", siteID: "site-z")
        XCTAssertFalse(adopted.identityFromCard)
        XCTAssertEqual([adopted.boxID, adopted.siteID, adopted.kiosk.siteID], ["box-9", "site-z", "site-z"])

        for half in ["id = \"box-1\"", "site = \"site-a\""] {
            guard case .failure(let list) = parse(half) else { return XCTFail("\(half) parsed") }
            XCTAssertTrue(list.problems.map(\.description).joined().contains("give both box.id and box.site, or neither"), "\(list.problems)")
        }
        guard case .failure(let empty) = parse("id = \"\"\nsite = \"\"") else { return XCTFail("empty names parsed") }
        XCTAssertTrue(empty.problems.map(\.description).joined().contains("must not be empty"), "\(empty.problems)")
    }
}
