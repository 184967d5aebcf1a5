import XCTest

@testable import StationHub

/// A catalog CSV checked before anything is imported (values): item keys as boxes record
/// them, a bare or mistyped number said plainly, each key once, every problem by line.
final class CatalogImportTests: XCTestCase {
    func rows(_ text: String) throws -> [CSVTable.Row] {
        try CSVTable(parsing: "item_key,title,home_site\n" + text).records(columns: 3, headerFirstField: "item_key")
    }

    func testItemKeysAreCheckedAsBoxesRecordThem() {
        let ok: [(String, String)] = [
            ("isbn:9787020002207", "isbn:9787020002207"), ("isbn:702000220X", "isbn:9787020002207"), ("isbn:978-7-02-000220-7", "isbn:9787020002207"),
            ("label:LIB-000123", "label:LIB-000123"), ("gtin:9771234567003", "gtin:9771234567003"),
        ]
        for (raw, key) in ok { XCTAssertEqual(try? CatalogImport.itemKey(raw).get(), key, raw) }
        let refused: [(String, String)] = [
            ("9787020002207", "9787020002207 has no kind: write isbn:9787020002207"),
            ("isbn:9787020002208", "isbn:9787020002208: not a valid ISBN or EAN-13 (a digit or the check digit is wrong)"),
            ("isbn:9771234567003", "isbn:9771234567003: that number is gtin:9771234567003, not isbn"),
            ("label:LIB 1", "label:LIB 1: a label is 1 to 64 printable characters without spaces, as printed on it"),
            ("book-1", "book-1: an item_key starts with isbn:, gtin: or label: (as boxes record it)"), ("", "the item_key is empty"),
        ]
        for (raw, why) in refused {
            guard case .failure(let problem) = CatalogImport.itemKey(raw) else { return XCTFail("\(raw) taken") }
            XCTAssertEqual(problem.description, why)
        }
    }

    func testOneBadLineImportsNothingAndEveryLineIsNamed() throws {
        guard case .failure(let found) = CatalogImport.titles(try rows("label:A1,One,shelf-a\n9787020002207,Two,\nlabel:A1,Again,\nisbn:702000220X,Three,shelf-b\n")) else {
            return XCTFail("imported")
        }
        XCTAssertEqual(found.lines, ["line 3: 9787020002207 has no kind: write isbn:9787020002207", "line 4: label:A1 is on line 2 too"])
        guard case .success(let titles) = CatalogImport.titles(try rows("label:A1, One ,shelf-a\nisbn:702000220X,,\n")) else { return XCTFail("refused") }
        XCTAssertEqual(titles.map(\.itemKey), ["label:A1", "isbn:9787020002207"])
        XCTAssertEqual(titles.map(\.title), ["One", nil])
        XCTAssertEqual(titles.map(\.homeSite), ["shelf-a", nil])
    }
}
