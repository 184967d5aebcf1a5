/// A book or periodical identified by its barcode. The identity is a string (leading
/// zeros matter); an add-on is price or issue data, never part of the identity.
public struct BookCode: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// ISBN-13 (EAN-13 with 978/979), also what ISBN-10 is normalised to.
        case isbn13 = "isbn-13"
        case isbn10 = "isbn-10"
        /// A periodical: EAN-13 with 977, carrying an ISSN.
        case issn
        case upcA = "upc-a"
        /// A site-printed item label (Code 128 / Code 39 / Codabar content).
        case itemLabel = "item-label"
    }

    public var kind: Kind
    /// ISBN-13 for books, the 13-digit GTIN for periodicals and UPC-A, the label text for
    /// item labels.
    public var normalized: String
    /// A 2- or 5-digit EAN add-on (price, issue number).
    public var addOn: String?
    /// For periodicals, the ISSN as `NNNN-NNNC`.
    public var issn: String?
    /// The title this code identifies: the ISBN-13 or GTIN; nil for an item label, whose
    /// title the catalog knows.
    public var titleKey: String? { kind == .itemLabel ? nil : normalized }

    public init(kind: Kind, normalized: String, addOn: String? = nil, issn: String? = nil) {
        self.kind = kind
        self.normalized = normalized
        self.addOn = addOn
        self.issn = issn
    }
}

/// The EAN/UPC/ISBN family, parsed. Pure.
public enum BookCodes {
    public enum Verdict: Equatable, Sendable {
        case book(BookCode)
        /// A valid code that is not a book (a product EAN-13, say).
        case notABook(kind: String, normalized: String, reason: String)
        case invalid(String)
        case notShaped
    }

    static func isDigits(_ s: Substring) -> Bool { !s.isEmpty && s.utf8.allSatisfy { (48...57).contains($0) } }

    /// Checks the text as ISBN-13/EAN-13 (with an optional add-on, concatenated or after a
    /// space or hyphen), ISBN-10 or UPC-A.
    public static func check(_ text: Substring) -> Verdict {
        // Separated add-on: 13 digits, one separator, 2 or 5 digits.
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == " " || $0 == "-" })
        if parts.count == 2, parts[0].count == 13, [2, 5].contains(parts[1].count), isDigits(parts[0]), isDigits(parts[1]) {
            return ean13(parts[0], addOn: parts[1])
        }
        // Hyphenated ISBNs typed by hand (scanners never send hyphens).
        var compact = Substring(text)
        if text.contains("-"), text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "X" || $0 == "x") }) {
            let stripped = text.filter { $0 != "-" }
            if stripped.count == 10 || stripped.count == 13 { compact = Substring(stripped) }
        }
        switch compact.count {
        case 13 where isDigits(compact): return ean13(compact, addOn: nil)
        case 15 where isDigits(compact), 18 where isDigits(compact):
            // A concatenated add-on: the first 13 digits are the EAN-13.
            return ean13(compact.prefix(13), addOn: compact.dropFirst(13))
        case 10:
            return isbn10(compact)
        case 12 where isDigits(compact):
            let expected = CheckDigits.gs1(compact.prefix(11))!
            let got = Int(String(compact.last!))!
            guard expected == got else { return .invalid("UPC-A check digit is \(expected), scan says \(got)") }
            return .book(BookCode(kind: .upcA, normalized: "0" + compact))
        default:
            return .notShaped
        }
    }

    static func ean13(_ code: Substring, addOn: Substring?) -> Verdict {
        let expected = CheckDigits.gs1(code.prefix(12))!
        let got = Int(String(code.last!))!
        let prefix = code.prefix(3)
        let name = (prefix == "978" || prefix == "979") ? "ISBN-13" : "EAN-13"
        guard expected == got else { return .invalid("\(name) check digit is \(expected), scan says \(got)") }
        let add = addOn.map(String.init)
        switch prefix {
        case "978", "979":
            return .book(BookCode(kind: .isbn13, normalized: String(code), addOn: add))
        case "977":
            let body = code.dropFirst(3).prefix(7)
            let issn = String(body.prefix(4)) + "-" + String(body.suffix(3)) + String(CheckDigits.issn(body)!)
            return .book(BookCode(kind: .issn, normalized: String(code), addOn: add, issn: issn))
        default:
            return .notABook(kind: "ean-13", normalized: String(code), reason: "EAN-13 with prefix \(prefix) is a product code, not a book")
        }
    }

    static func isbn10(_ code: Substring) -> Verdict {
        let body = code.prefix(9)
        guard isDigits(body) else { return .notShaped }
        let last = code.last!.uppercased().first!
        guard last.isNumber || last == "X" else { return .notShaped }
        let expected = CheckDigits.isbn10(body)!
        guard expected == last else { return .invalid("ISBN-10 check character is \(expected), scan says \(last)") }
        let thirteenBody = "978" + body
        let check = CheckDigits.gs1(Substring(thirteenBody))!
        return .book(BookCode(kind: .isbn10, normalized: thirteenBody + String(check)))
    }
}
