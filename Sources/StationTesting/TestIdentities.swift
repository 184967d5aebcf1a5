/// Generated resident identity numbers for tests: real county codes, random past birth
/// dates and sequence numbers, a valid check character. Never a real person's number
/// except by the chance any 18 digits have. The check character is computed here with
/// the standard's weight table, independently of the code under test.
public struct TestIdentities {
    /// Real county-level area codes (district codes of Beijing, Shanghai, Guangzhou,
    /// Chengdu, Hangzhou, Wuhan, Nanjing, Xi'an, Tianjin, Jiujiang).
    public static let counties = ["110101", "310101", "440106", "510104", "330106", "420106", "320102", "610113", "120101", "360402"]

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// splitmix64: reproducible from the seed a failing test prints.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func number(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// The check character of the first 17 digits.
    public static func checkCharacter(_ body: String) -> Character {
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return checkCharacters[sum % 11]
    }

    public static func make(county: String, year: Int, month: Int, day: Int, sequence: Int) -> String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let body = county + pad(year, 4) + pad(month, 2) + pad(day, 2) + pad(sequence, 3)
        return body + String(checkCharacter(body))
    }

    /// A valid number with a birth date between 1950 and 2008.
    public mutating func valid() -> String {
        let county = Self.counties[number(in: 0...(Self.counties.count - 1))]
        let year = number(in: 1950...2008)
        let month = number(in: 1...12)
        let day = number(in: 1...28)
        return Self.make(county: county, year: year, month: month, day: day, sequence: number(in: 0...999))
    }
}
