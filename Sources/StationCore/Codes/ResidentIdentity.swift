/// The China resident identity number (GB 11643-1999): 6-digit area code, birth date
/// YYYYMMDD, 3-digit sequence, ISO 7064 MOD 11-2 check character.
///
/// The area check is at province level (the first two digits), which is what a box can
/// know without shipping the national county table; the check character and the date do
/// the rest.
public enum ResidentIdentity {
    /// First two digits of area codes in use: provinces, autonomous regions and
    /// municipalities; 71 Taiwan; 81 Hong Kong, 82 Macau and 83 Taiwan residents'
    /// residence permits.
    public static let provinceCodes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    ]

    public enum Verdict: Equatable, Sendable {
        /// Valid; the number with `x` written as `X`.
        case valid(String)
        /// The text is not shaped like an identity number at all.
        case notShaped
        /// Shaped like one but wrong; the reason never quotes the number's digits.
        case invalid(String)
    }

    /// Whether `text` could be meant as an 18-character identity number: 17 digits and a
    /// digit or X. Such text is masked wherever it might be shown.
    public static func isShaped(_ text: Substring) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 18 else { return false }
        for b in u.dropLast() where !(48...57).contains(b) { return false }
        return (48...57).contains(u[17]) || u[17] == 88 || u[17] == 120
    }

    /// Checks an 18-character number. `today` is (year, month, day) in the site's time zone.
    public static func check(_ text: Substring, today: (Int, Int, Int)) -> Verdict {
        guard isShaped(text) else { return .notShaped }
        let normalized = text.uppercased()
        let s = Substring(normalized)
        guard provinceCodes.contains(String(s.prefix(2))) else {
            return .invalid("resident identity number: the area code names no province")
        }
        let year = Int(s.dropFirst(6).prefix(4))!
        let month = Int(s.dropFirst(10).prefix(2))!
        let day = Int(s.dropFirst(12).prefix(2))!
        guard year >= 1900, CalendarDate.isValid(year: year, month: month, day: day) else {
            return .invalid("resident identity number: the birth date is not a real date")
        }
        guard (year, month, day) <= today else {
            return .invalid("resident identity number: the birth date is in the future")
        }
        guard CheckDigits.iso7064Mod11_2(s.prefix(17)) == s.last else {
            return .invalid("resident identity number: the check character does not match (a misread digit?)")
        }
        return .valid(normalized)
    }

    /// Whether 15 digits look like a first-generation (1984-2004) identity number:
    /// a province prefix and a real YYMMDD birth date.
    public static func isFirstGeneration(_ text: Substring) -> Bool {
        guard text.utf8.count == 15, text.utf8.allSatisfy({ (48...57).contains($0) }),
            provinceCodes.contains(String(text.prefix(2)))
        else { return false }
        let yy = Int(text.dropFirst(6).prefix(2))!
        let month = Int(text.dropFirst(8).prefix(2))!
        let day = Int(text.dropFirst(10).prefix(2))!
        return CalendarDate.isValid(year: 1900 + yy, month: month, day: day)
    }
}

/// Gregorian calendar arithmetic without Foundation.
enum CalendarDate {
    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        return day <= daysIn(year: year, month: month)
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
