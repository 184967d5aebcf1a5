import Crypto
import Foundation
import StationTesting
import XCTest

@testable import StationCore

/// Every kind, every precedence case and every reason, as values. Expected values are
/// written by hand (or computed by TestIdentities' own check-digit code).
final class CodeRecognizerTests: XCTestCase {
    let now = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    // Generated: real county code, chosen date and sequence, valid check character.
    let id1 = TestIdentities.make(county: "110101", year: 1990, month: 3, day: 7, sequence: 457)  // …4573
    let id2 = TestIdentities.make(county: "440106", year: 2000, month: 2, day: 29, sequence: 123)  // leap day
    let idX = TestIdentities.make(county: "510104", year: 1985, month: 8, day: 15, sequence: 2)

    func recognize(_ text: String, aim: String? = nil, role: DeviceRole = .scanner, _ r: CodeRecognizer = CodeRecognizer()) -> Recognition {
        r.recognize(text, aim: aim, role: role, at: now)
    }

    func testTheGeneratorAgreesWithHandComputedCheckCharacters() {
        XCTAssertEqual(id1, "110101199003074573")
        XCTAssertEqual(id2, "440106200002291238")
        XCTAssertEqual(idX, "510104198508150024")
    }

    // MARK: books

    func testISBN13AndItsCheckDigitReason() {
        XCTAssertEqual(recognize("9787111213826"), .book(BookCode(kind: .isbn13, normalized: "9787111213826")))
        XCTAssertEqual(recognize("9787111213827"), .misread(kind: "isbn-13", reason: "ISBN-13 check digit is 6, scan says 7"))
        XCTAssertEqual(recognize("0009787111213826").summary.valid, false, "leading zeros are not dropped")
    }

    func testISBN10IsNormalisedToISBN13() {
        XCTAssertEqual(recognize("0306406152"), .book(BookCode(kind: .isbn10, normalized: "9780306406157")))
        XCTAssertEqual(recognize("080442957X"), .book(BookCode(kind: .isbn10, normalized: "9780804429573")))
        XCTAssertEqual(recognize("080442957x"), .book(BookCode(kind: .isbn10, normalized: "9780804429573")))
        XCTAssertEqual(recognize("0306406153"), .misread(kind: "isbn-10", reason: "ISBN-10 check character is 2, scan says 3"))
        XCTAssertEqual(recognize("978-0-306-40615-7"), .book(BookCode(kind: .isbn13, normalized: "9780306406157")))
    }

    func testAddOnsAreKeptApartFromTheIdentity() {
        XCTAssertEqual(recognize("978711121382612"), .book(BookCode(kind: .isbn13, normalized: "9787111213826", addOn: "12")))
        XCTAssertEqual(recognize("978711121382651299"), .book(BookCode(kind: .isbn13, normalized: "9787111213826", addOn: "51299")))
        XCTAssertEqual(recognize("9787111213826 51299"), .book(BookCode(kind: .isbn13, normalized: "9787111213826", addOn: "51299")))
        XCTAssertEqual(recognize("978711121382751299"), .misread(kind: "isbn-13", reason: "ISBN-13 check digit is 6, scan says 7"))
    }

    func testPeriodicalsUPCAndProductCodes() {
        XCTAssertEqual(recognize("9771144875007"), .book(BookCode(kind: .issn, normalized: "9771144875007", issn: "1144-875X")))
        XCTAssertEqual(recognize("977114487500703"), .book(BookCode(kind: .issn, normalized: "9771144875007", addOn: "03", issn: "1144-875X")))
        XCTAssertEqual(recognize("036000291452"), .book(BookCode(kind: .upcA, normalized: "0036000291452")))
        XCTAssertEqual(recognize("036000291453"), .misread(kind: "upc-a", reason: "UPC-A check digit is 2, scan says 3"))
        XCTAssertEqual(
            recognize("6901234567892"),
            .unusable(kind: "ean-13", normalized: "6901234567892", reason: "EAN-13 with prefix 690 is a product code, not a book"))
    }

    func testItemLabelsBySitePattern() throws {
        let r = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}"), try CodePattern(name: "codabar", pattern: "A[0-9]{8}B")])
        XCTAssertEqual(recognize("LIB-000123", r), .book(BookCode(kind: .itemLabel, normalized: "LIB-000123")))
        XCTAssertEqual(recognize("A00001234B", r), .book(BookCode(kind: .itemLabel, normalized: "A00001234B")))
        XCTAssertEqual(recognize("LIB-00012", r).summary.valid, false, "patterns match the whole scan")
        XCTAssertEqual(recognize("xLIB-000123", r).summary.valid, false)
    }

    // MARK: credentials

    func testResidentIdentityNumbers() {
        XCTAssertEqual(recognize(id1), .credential(RawCredential(kind: .residentID, secret: id1)))
        XCTAssertEqual(recognize(id2), .credential(RawCredential(kind: .residentID, secret: id2)))
        var gen = TestIdentities(seed: 7)
        var xs: [String] = []
        while xs.count < 3 { let n = gen.valid(); if n.hasSuffix("X") { xs.append(n) } }
        for n in xs {
            XCTAssertEqual(recognize(n), .credential(RawCredential(kind: .residentID, secret: n)))
            XCTAssertEqual(recognize(n.lowercased()), .credential(RawCredential(kind: .residentID, secret: n)), "lowercase x is X")
        }
    }

    func testEveryResidentIdentityReasonAndNoneQuotesDigits() {
        let body = String(id1.prefix(17))
        let wrongCheck = body + (id1.last == "0" ? "1" : "0")
        let cases: [(String, String)] = [
            (wrongCheck, "resident identity number: the check character does not match (a misread digit?)"),
            (TestIdentities.make(county: "110101", year: 1990, month: 2, day: 30, sequence: 1), "resident identity number: the birth date is not a real date"),
            (TestIdentities.make(county: "110101", year: 2027, month: 1, day: 1, sequence: 1), "resident identity number: the birth date is in the future"),
            (TestIdentities.make(county: "110101", year: 1899, month: 12, day: 31, sequence: 1), "resident identity number: the birth date is not a real date"),
        ]
        for (number, reason) in cases {
            let r = recognize(number)
            XCTAssertEqual(r.summary.reason, reason, number)
            XCTAssertEqual(r.summary.valid, false)
            XCTAssertNil(r.summary.normalized)
            XCTAssertFalse(reason.contains(String(number.dropFirst(2).prefix(8))), "a reason must not quote the number")
        }
        // 91 is no province: the 18 digits are judged as an EAN-13 with add-on instead.
        let noProvince = recognize(TestIdentities.make(county: "910101", year: 1990, month: 1, day: 1, sequence: 1))
        XCTAssertEqual(noProvince.summary.kind, "ean-13")
        XCTAssertEqual(noProvince.summary.valid, false)
        XCTAssertEqual(
            recognize("110101900307457"),
            .misread(kind: "resident-id", reason: "a 15-digit first-generation identity number is no longer valid; use the 18-digit number"))
    }

    func testEighteenDigitsStartingWith97AreABookWithAddOnNotAPerson() {
        // Both readings have a valid check; no province code starts with 97.
        XCTAssertEqual(recognize("978711121382651299"), .book(BookCode(kind: .isbn13, normalized: "9787111213826", addOn: "51299")))
        // And an identity-shaped number in a real province never falls through to EAN.
        let wrongCheck = String(id1.prefix(17)) + (id1.last == "0" ? "1" : "0")
        XCTAssertEqual(recognize(wrongCheck).summary.kind, "resident-id")
    }

    func testMemberCardsWithOverlappingPatterns() throws {
        let r = CodeRecognizer(memberCards: [
            try CodePattern(name: "union card", pattern: "88[0-9]{14}", luhn: true),
            try CodePattern(name: "old card", pattern: "8[0-9]{9}"),
        ])
        XCTAssertEqual(recognize("8800000000000005", r), .credential(RawCredential(kind: .memberCard, secret: "8800000000000005")))  // Luhn ok
        XCTAssertEqual(recognize("8800000000000006", r), .misread(kind: "member-card", reason: "member card number fails its check digit (a misread digit?)"))
        XCTAssertEqual(recognize("8123456789", r), .credential(RawCredential(kind: .memberCard, secret: "8123456789")))
        // An ISBN-10 shape that is also a member-card shape: the book family comes first.
        let s = CodeRecognizer(memberCards: [try CodePattern(name: "ten digits", pattern: "[0-9]{10}")])
        XCTAssertEqual(recognize("0306406152", s), .book(BookCode(kind: .isbn10, normalized: "9780306406157")))
        XCTAssertEqual(recognize("0306406153", s), .credential(RawCredential(kind: .memberCard, secret: "0306406153")))
    }

    func testABroadLabelPatternNeverRecordsAnIdentityNumberAsALabel() throws {
        let r = CodeRecognizer(itemLabels: [try CodePattern(name: "too broad", pattern: "[0-9X]{8,20}")])
        XCTAssertEqual(recognize(id1, r), .misread(kind: "item-label", reason: "an item-label pattern also matches an identity number: narrow the site's pattern"))
        XCTAssertEqual(recognize("12345678", r), .book(BookCode(kind: .itemLabel, normalized: "12345678")))
    }

    func testAnIDReadersMisreadIdentityNumberIsNoCardUID() {
        let wrongCheck = String(id1.prefix(17)) + (id1.last == "0" ? "1" : "0")
        XCTAssertEqual(recognize(wrongCheck, role: .idReader).summary.kind, "resident-id")
        XCTAssertEqual(recognize(wrongCheck, role: .idReader).summary.valid, false)
        XCTAssertEqual(recognize("110101900307457", role: .idReader).summary.kind, "resident-id", "a first-generation number")
    }

    func testCardUIDsFromIDReadersOnly() {
        XCTAssertEqual(recognize("0012345678", role: .idReader), .credential(RawCredential(kind: .cardUID, secret: "00BC614E")))
        XCTAssertEqual(recognize("04a1b2c3", role: .idReader), .credential(RawCredential(kind: .cardUID, secret: "04A1B2C3")))
        XCTAssertEqual(recognize("04A1B2C3D4E5F6", role: .idReader), .credential(RawCredential(kind: .cardUID, secret: "04A1B2C3D4E5F6")))
        XCTAssertEqual(recognize("0012345678", role: .scanner).summary.valid, false, "a scanner's 10 digits are no card")
        XCTAssertEqual(recognize(id1, role: .idReader), .credential(RawCredential(kind: .residentID, secret: id1)))
        XCTAssertEqual(recognize("9787111213826", role: .idReader).summary.kind, "card-uid", "an ID reader never reads books")
        XCTAssertEqual(recognize("hello!", role: .idReader), .misread(kind: "unknown", reason: "an ID reader sent something that is no credential this station knows"))
    }

    func testECards() throws {
        let key = Curve25519.Signing.PrivateKey()
        let other = Curve25519.Signing.PrivateKey()
        let r = CodeRecognizer(eCardKeys: ["ecard-1": key.publicKey])
        let good = try ECard.issue(.init(kid: "ecard-1", sub: "p1:0f1e2d3c4b5a69788796a5b4c3d2e1f0", iat: now.unixSeconds - 10, exp: now.unixSeconds + 3600), signingKey: key)
        XCTAssertEqual(recognize(good, aim: "]Q1", r), .credential(RawCredential(kind: .eCard, secret: "p1:0f1e2d3c4b5a69788796a5b4c3d2e1f0", expiresAt: now.unixSeconds + 3600)))
        let expired = try ECard.issue(.init(kid: "ecard-1", sub: "p1:00", iat: 0, exp: now.unixSeconds), signingKey: key)
        XCTAssertEqual(recognize(expired, r).summary.reason, "e-card expired; issue a new one")
        XCTAssertEqual(recognize(expired, r).summary.valid, false)
        let forged = try ECard.issue(.init(kid: "ecard-1", sub: "p1:00", iat: 0, exp: now.unixSeconds + 10), signingKey: other)
        XCTAssertEqual(recognize(forged, r), .misread(kind: "e-card", reason: "e-card signature does not verify (forged or altered)"))
        let unknown = try ECard.issue(.init(kid: "ecard-9", sub: "p1:00", iat: 0, exp: now.unixSeconds + 10), signingKey: key)
        XCTAssertEqual(recognize(unknown, r).summary.reason, "e-card is signed with key ecard-9, which this box does not have (sync with the hub)")
        // Altering one character of the payload breaks the signature or the encoding.
        var chars = Array(good)
        chars[8] = chars[8] == "A" ? "B" : "A"
        XCTAssertEqual(recognize(String(chars), r).summary.valid, false)
        XCTAssertEqual(recognize(String(good.dropLast(10)), r).summary.valid, false, "a partly scanned QR code")
    }

    // MARK: control cards and precedence

    func testControlCardsComeFirst() {
        XCTAssertEqual(recognize("STN-MODE-RETURN"), .control(.mode(.return)))
        XCTAssertEqual(recognize("STN-SVC-LACTATION"), .control(.service("lactation")))
        // A site may print a control card whose code would otherwise be a book.
        var table = ControlCardTable.standard
        table.actions["9787111213826"] = .done
        XCTAssertEqual(recognize("9787111213826", CodeRecognizer(controlCards: table)), .control(.done))
        XCTAssertEqual(ControlAction(name: "service:legal-aid"), .service("legal-aid"))
        XCTAssertNil(ControlAction(name: "mode:teleport"))
    }

    func testAIMNarrowsTheFamilies() throws {
        let r = CodeRecognizer(itemLabels: [try CodePattern(name: "digits", pattern: "[0-9]{13}")])
        // Without AIM the item label pattern wins over EAN (site labels come first)...
        XCTAssertEqual(recognize("9787111213826", r), .book(BookCode(kind: .itemLabel, normalized: "9787111213826")))
        // ...with ]E0 the scanner says it read an EAN-13.
        XCTAssertEqual(recognize("9787111213826", aim: "]E0", r), .book(BookCode(kind: .isbn13, normalized: "9787111213826")))
        // A Code 128 label is never read as an EAN.
        XCTAssertEqual(recognize("9787111213826", aim: "]C0").summary.valid, false)
        XCTAssertEqual(recognize("LIB-1", aim: "]E0"), .misread(kind: "ean-13", reason: "the scanner says EAN/UPC (]E0) but the text is not one"))
        XCTAssertEqual(recognize(id1, aim: "]E0").summary.kind, "ean-13")
        XCTAssertEqual(recognize(id1, aim: "]C1"), .credential(RawCredential(kind: .residentID, secret: id1)))
    }

    func testUnknownAndEmpty() {
        XCTAssertEqual(recognize(""), .misread(kind: "unknown", reason: "empty scan"))
        XCTAssertEqual(recognize("hello world"), .misread(kind: "unknown", reason: "not a code this station knows (11 characters)"))
    }

    // MARK: privacy

    func testRawCredentialNeverPrintsItsNumber() {
        let c = RawCredential(kind: .residentID, secret: id1)
        XCTAssertEqual(c.masked, "1101**********4573")
        for rendered in ["\(c)", String(describing: c), String(reflecting: c), "\(Recognition.credential(c))", "\([c])"] {
            XCTAssertFalse(rendered.contains(String(id1.dropFirst(4).prefix(10))), rendered)
        }
        XCTAssertEqual(RawCredential(kind: .cardUID, secret: "04A1B2C3").masked, "****B2C3")
        XCTAssertEqual(Recognition.credential(c).summary.normalized, "1101**********4573")
    }

    func testProtectionHashesLocallyAndSealsForTheHubOnly() throws {
        let hub = Curve25519.KeyAgreement.PrivateKey()
        let keys = CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 1, hubKey: hub.publicKey, hubVersion: 3)
        let raw = RawCredential(kind: .residentID, secret: id1)
        let a = try CredentialProtector.protect(raw, keys: keys)
        let b = try CredentialProtector.protect(raw, keys: keys)
        XCTAssertEqual(a.localHash, b.localHash, "the same worker matches locally")
        XCTAssertTrue(a.localHash.hasPrefix("v1:"))
        XCTAssertNotEqual(a.sealed, b.sealed, "sealing is randomised")
        XCTAssertEqual(a.sealed.keyVersion, 3)
        XCTAssertEqual(a.masked, "1101**********4573")
        let encoded = String(decoding: try JSONEncoder().encode(a), as: UTF8.self)
        XCTAssertFalse(encoded.contains(String(id1.dropFirst(4).prefix(10))))
        XCTAssertNotEqual(
            try CredentialProtector.protect(raw, keys: CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 2, hubKey: hub.publicKey, hubVersion: 3)).localHash,
            a.localHash, "another box (another local key) gets another hash")

        let opened = try CredentialProtector.open(a.sealed, kind: .residentID, hubKeys: [3: hub])
        XCTAssertEqual(opened, raw)
        XCTAssertThrowsError(try CredentialProtector.open(a.sealed, kind: .residentID, hubKeys: [2: hub]))
        XCTAssertThrowsError(try CredentialProtector.open(a.sealed, kind: .residentID, hubKeys: [3: Curve25519.KeyAgreement.PrivateKey()]))
        XCTAssertThrowsError(try CredentialProtector.open(a.sealed, kind: .memberCard, hubKeys: [3: hub]), "the kind is authenticated")

        let pk = SymmetricKey(size: .bits256)
        XCTAssertEqual(CredentialProtector.pseudonym(opened, key: pk, version: 1), CredentialProtector.pseudonym(raw, key: pk, version: 1))
        XCTAssertTrue(CredentialProtector.pseudonym(raw, key: pk, version: 1).hasPrefix("p1:"))
    }
}
