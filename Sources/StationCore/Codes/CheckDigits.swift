/// Check-digit algorithms of the codes a service point sees. Inputs are ASCII digit
/// strings (already checked by the caller); nothing here allocates per digit.
public enum CheckDigits {
    static func digits(_ s: Substring) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            guard b >= 48 && b <= 57 else { return nil }
            out.append(Int(b - 48))
        }
        return out
    }

    /// EAN-13 / UPC-A / EAN-8 (GS1 mod 10) check digit of the digits before it.
    public static func gs1(_ body: Substring) -> Int? {
        guard let d = digits(body) else { return nil }
        var sum = 0
        // Weights 3,1,3,... from the right of the body.
        for (i, v) in d.reversed().enumerated() { sum += v * (i % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }

    /// ISBN-10 check character (mod 11, 10 written `X`) of its first nine digits.
    public static func isbn10(_ body: Substring) -> Character? {
        guard let d = digits(body), d.count == 9 else { return nil }
        var sum = 0
        for (i, v) in d.enumerated() { sum += v * (10 - i) }
        let c = (11 - sum % 11) % 11
        return c == 10 ? "X" : Character(String(c))
    }

    /// ISSN check character (mod 11, `X` for 10) of its first seven digits.
    public static func issn(_ body: Substring) -> Character? {
        guard let d = digits(body), d.count == 7 else { return nil }
        var sum = 0
        for (i, v) in d.enumerated() { sum += v * (8 - i) }
        let c = (11 - sum % 11) % 11
        return c == 10 ? "X" : Character(String(c))
    }

    /// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident identity number.
    public static func iso7064Mod11_2(_ body: Substring) -> Character? {
        guard let d = digits(body) else { return nil }
        var sum = 0
        for v in d { sum = (sum + v) * 2 % 11 }
        let c = (12 - sum % 11) % 11
        return c == 10 ? "X" : Character(String(c))
    }

    /// Whether a digit string passes the Luhn check (its last digit is the check digit).
    public static func luhn(_ s: Substring) -> Bool {
        guard let d = digits(s), d.count >= 2 else { return false }
        var sum = 0
        for (i, v) in d.reversed().enumerated() {
            if i % 2 == 1 {
                let doubled = v * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += v
            }
        }
        return sum % 10 == 0
    }
}
