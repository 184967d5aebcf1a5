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

    func testHomesMustBeTheImportersAndRequiredOfARegion() throws {
        let list = try rows("label:A1,One,shelf-a\nlabel:A2,Two,\nlabel:A3,Three,hut-c\n")
        XCTAssertNotNil(try? CatalogImport.titles(list).get(), "unchecked: the store checks the sites")
        guard case .failure(let found) = CatalogImport.titles(list, homes: .init(sites: ["shelf-a"], required: true)) else { return XCTFail("imported") }
        XCTAssertEqual(
            found.lines, ["line 3: label:A2 has no home_site: write one of your sites", "line 4: no site hut-c among the sites you look after: add it first"])
        guard case .failure(let union) = CatalogImport.titles(list, homes: .init(sites: ["shelf-a"], required: false)) else { return XCTFail("imported") }
        XCTAssertEqual(union.found.map(\.line), [4])
        // The console shows each problem in its page's language.
        XCTAssertEqual(union.found[0].text("zh"), "您负责的站点中没有 hut-c：请先添加该站点")
        XCTAssertEqual(union.found[0].text("en"), "no site hut-c among the sites you look after: add it first")
    }

    func testMemberCardsAreCheckedAndTheirNumbersNeverShown() throws {
        let list = try CSVTable(parsing: "card_uid,member_card\n04a1b2c3, M1 \nzz,M2\n04A1B2C3,M3\n0A0B,\n" + String(repeating: "A", count: 33) + ",M5\n")
            .records(columns: 2, headerFirstField: "card_uid")
        guard case .failure(let found) = CatalogImport.members(list, pseudonym: { "p(\($0))" }) else { return XCTFail("imported") }
        XCTAssertEqual(
            found.lines,
            [
                "line 3: a card UID is 1 to 32 hex digits, as the card reader shows it", "line 4: card 04A1B2C3 is on line 2 too",
                "line 5: the member card number of card 0A0B is empty", "line 6: a card UID is 1 to 32 hex digits, as the card reader shows it",
            ])
        XCTAssertFalse(found.lines.joined().contains("M"), "no member card number in a problem")
        let good = try CSVTable(parsing: "04a1b2c3, M1 \n").records(columns: 2, headerFirstField: "card_uid")
        XCTAssertEqual(try CatalogImport.members(good, pseudonym: { "p(\($0))" }).get(), [.init(cardUID: "04A1B2C3", member: "p(M1)")])
    }

    func testExcelsByteOrderMarkIsNotPartOfTheHeader() throws {
        let rows = try CSVTable.records([0xEF, 0xBB, 0xBF] + Array("card_uid,member_card\n04A1,M1\n".utf8), columns: 2, headerFirstField: "card_uid")
        XCTAssertEqual(rows.map(\.fields), [["04A1", "M1"]])
    }

    func testAFileThatIsNotUTF8SaysHowToSaveIt() {
        let gbk: [UInt8] = [0xC6, 0xBD, 0xB7, 0xB2, 0x2C, 0x41, 0x0A]
        XCTAssertThrowsError(try CSVTable.records(gbk, columns: 2, headerFirstField: "card_uid")) { error in
            XCTAssertEqual("\(error)", "line 1: the file is not UTF-8 text (saved as GBK? save it as UTF-8)")
        }
    }

    func testABrowsersUploadIsReadIntoItsParts() throws {
        let body = Array(
            ("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
                + "--XyZ\r\ncontent-disposition: form-data; name=file; filename=\"a;b \\\"c\\\".csv\"\r\nContent-Type: text/csv\r\n\r\nx,y\r\n--XyZ-ish\r\n\r\n--XyZ--\r\n").utf8)
        let form = try MultipartForm(contentType: "multipart/form-data; boundary=\"XyZ\"", body: body)
        XCTAssertEqual(form.parts.map(\.name), ["csrf", "file"])
        XCTAssertEqual(form.field("csrf"), "tok")
        XCTAssertEqual(form.part("file")?.filename, "a;b \"c\".csv")
        XCTAssertEqual(form.field("file"), "x,y\r\n--XyZ-ish\r\n", "a line that only starts like the boundary is the file's")
        for (type, text, why) in [
            ("application/x-www-form-urlencoded", "a=b", "not multipart/form-data"), ("multipart/form-data", "--x\r\n", "no boundary"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=a\r\n\r\nnever ends", "the last part never ends"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", "a part has no form-data name"),
            ("multipart/form-data; boundary=x", "--xjunk", "not followed by a line break"),
        ] {
            XCTAssertThrowsError(try MultipartForm(contentType: type, body: Array(text.utf8)), why) { error in
                XCTAssertTrue("\(error)".contains(why), "\(error)")
            }
        }
    }

    func testAnImportsBarMovesThroughItsStepsAndEndsFull() {
        XCTAssertEqual(ConsoleImport.percent(.compare, 0, 4), 0)
        XCTAssertEqual(ConsoleImport.percent(.compare, 2, 4), 10)
        XCTAssertEqual(ConsoleImport.percent(.write, 1, 1), 40)
        XCTAssertEqual(ConsoleImport.percent(.ledger, 1, 2), 70)
        XCTAssertEqual(ConsoleImport.percent(.ledger, 3, 2), 100, "never past the end")
        XCTAssertEqual(ConsoleImport.percent(.write, 0, 0), 20, "an empty step")
    }
}
