/// A QR Code symbol (ISO/IEC 18004, Model 2), encoded in byte mode. Pure: no I/O.
///
/// The smallest version (1–40) that holds the input at the requested error-correction
/// level is chosen, and of the eight data masks the one with the lowest penalty score
/// (the four rules of ISO/IEC 18004 §7.8.3) is applied.
///
/// ```swift
/// let code = try QRCode(text: "station-enroll:https://hub.example.org/?token=…")
/// let picture = code.svg()
/// ```
public struct QRCode: Sendable, Equatable {
    /// How many codewords are spent on recovery: about 7 %, 15 %, 25 % and 30 % of the
    /// symbol can be damaged and still read.
    public enum ErrorCorrection: Sendable, CaseIterable {
        case low, medium, quartile, high
    }

    /// Why an input could not be encoded.
    public struct EncodingError: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Modules per side: `4 * version + 17`.
    public let size: Int
    /// The symbol version, 1 through 40.
    public let version: Int
    /// The error-correction level the symbol was encoded at.
    public let errorCorrection: ErrorCorrection
    /// The data mask (0–7) that was applied.
    public let mask: Int
    /// Row-major, `size * size`; `true` is dark.
    private let modules: [Bool]

    /// Whether the module at column `x`, row `y` is dark. Outside the symbol (the quiet
    /// zone) is light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Encodes `text` as its UTF-8 bytes in byte mode. Text that is not plain ASCII is
    /// preceded by the ECI designator for UTF-8 (26), so that readers do not guess
    /// another character set (short Chinese text is otherwise often shown as Shift-JIS).
    public init(text: String, errorCorrection: ErrorCorrection = .medium) throws(EncodingError) {
        let bytes = Array(text.utf8)
        let eci = bytes.contains { $0 >= 0x80 } ? Layout.utf8ECI : nil
        try self.init(bytes: bytes, errorCorrection: errorCorrection, eci: eci, mask: nil)
    }

    /// Encodes `bytes` in byte mode, as they are (no ECI designator).
    public init(bytes: [UInt8], errorCorrection: ErrorCorrection = .medium) throws(EncodingError) {
        try self.init(bytes: bytes, errorCorrection: errorCorrection, eci: nil, mask: nil)
    }

    /// Encodes `bytes`, after an ECI designator (0–127) if `eci` is set; a non-nil `mask`
    /// (0–7) forces that mask instead of choosing one (for tests that compare against
    /// another encoder).
    init(bytes: [UInt8], errorCorrection ec: ErrorCorrection, eci: Int?, mask forcedMask: Int?) throws(EncodingError) {
        let fits = { (version: Int) in Layout.byteCapacity(version: version, ec, eci: eci) >= bytes.count }
        guard let version = (1...40).first(where: fits) else {
            let limit = Layout.byteCapacity(version: 40, ec, eci: eci)
            throw EncodingError(
                "QR code input is \(bytes.count) bytes; at error correction \(ec) "
                    + "a QR code holds at most \(limit) bytes (version 40)")
        }
        let data = Layout.dataCodewords(bytes, eci: eci, version: version, ec)
        let codewords = Layout.interleaved(data, version: version, ec)

        var base = Matrix(version: version)
        base.place(codewords)

        let masks = forcedMask.map { [$0] } ?? Array(0..<8)
        var chosen = (matrix: base, mask: 0, penalty: Int.max)
        for mask in masks {
            precondition((0..<8).contains(mask), "mask must be 0...7")
            var candidate = base
            candidate.apply(mask: mask)
            candidate.drawFormat(ec, mask: mask)
            let penalty = candidate.penalty()
            if penalty < chosen.penalty { chosen = (candidate, mask, penalty) }
        }

        self.version = version
        self.size = chosen.matrix.size
        self.errorCorrection = ec
        self.mask = chosen.mask
        self.modules = chosen.matrix.dark
    }

    /// The symbol as an SVG document: a white background and the dark modules as one
    /// `<path>`, drawn in module units (`viewBox`) and scaled by `moduleSize` pixels.
    /// The dark modules as one SVG path in module units, offset by `quiet` modules.
    public func svgPath(quietZone quiet: Int = 4) -> String {
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < size && isDark(x: x, y: y) { x += 1 }
                path += "M\(start + quiet) \(y + quiet)h\(x - start)v1h-\(x - start)z"
            }
        }
        return path
    }

    public func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        let scale = max(1, moduleSize)
        let quiet = max(0, quietZone)
        let extent = size + 2 * quiet
        let path = svgPath(quietZone: quiet)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(extent * scale)" \
            height="\(extent * scale)" viewBox="0 0 \(extent) \(extent)" shape-rendering="crispEdges">
            <rect width="\(extent)" height="\(extent)" fill="#fff"/>
            <path d="\(path)" fill="#000"/>
            </svg>

            """
    }

}

// MARK: - Capacity and codewords

extension QRCode.ErrorCorrection {
    /// Row of the block tables.
    fileprivate var tableIndex: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .quartile: 2
        case .high: 3
        }
    }

    /// The two error-correction bits of the format information.
    fileprivate var formatBits: Int {
        switch self {
        case .low: 1
        case .medium: 0
        case .quartile: 3
        case .high: 2
        }
    }
}

/// Version geometry, capacities and the codeword stream (ISO/IEC 18004 §7.4–7.6).
private enum Layout {
    /// Error-correction codewords per block, by level (L, M, Q, H) then version (index 0
    /// unused). ISO/IEC 18004 Table 9.
    static let eccPerBlock: [[Int]] = [
        [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Error-correction blocks, by level (L, M, Q, H) then version (index 0 unused).
    /// ISO/IEC 18004 Table 9.
    static let blockCount: [[Int]] = [
        [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Modules left for codewords (and remainder bits) once the function patterns,
    /// format and version information are placed.
    static func rawDataModules(version v: Int) -> Int {
        var modules = (16 * v + 128) * v + 64
        if v >= 2 {
            let align = v / 7 + 2
            modules -= (25 * align - 10) * align - 55
            if v >= 7 { modules -= 36 }
        }
        return modules
    }

    /// Data codewords (after error correction is taken out) of a version and level.
    static func dataCodewordCount(version v: Int, _ ec: QRCode.ErrorCorrection) -> Int {
        let row = ec.tableIndex
        return rawDataModules(version: v) / 8 - eccPerBlock[row][v] * blockCount[row][v]
    }

    /// Bits of the byte-mode character count indicator.
    static func countBits(version v: Int) -> Int { v <= 9 ? 8 : 16 }

    /// The ECI assignment number of UTF-8.
    static let utf8ECI = 26

    /// Bits of an ECI header (mode indicator and a one-byte designator, 0–127).
    static func eciBits(_ eci: Int?) -> Int { eci == nil ? 0 : 4 + 8 }

    /// Most bytes a single byte-mode segment (after the optional ECI header) can hold.
    static func byteCapacity(version v: Int, _ ec: QRCode.ErrorCorrection, eci: Int?) -> Int {
        (dataCodewordCount(version: v, ec) * 8 - eciBits(eci) - 4 - countBits(version: v)) / 8
    }

    /// Row/column coordinates of alignment pattern centres (ISO/IEC 18004 Annex E).
    static func alignmentCenters(version v: Int) -> [Int] {
        guard v >= 2 else { return [] }
        let count = v / 7 + 2
        let step = (v * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        let last = 4 * v + 10
        return [6] + (0..<(count - 1)).reversed().map { last - $0 * step }
    }

    /// Optional ECI header, mode indicator, count, the bytes, terminator and padding:
    /// exactly the data codewords of the version. The caller has checked that `bytes` fits.
    static func dataCodewords(
        _ bytes: [UInt8], eci: Int?, version v: Int, _ ec: QRCode.ErrorCorrection
    ) -> [UInt8] {
        let capacity = dataCodewordCount(version: v, ec)
        var bits = BitWriter()
        if let eci {
            bits.append(0b0111, count: 4)
            bits.append(eci & 0x7F, count: 8)
        }
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: countBits(version: v))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var out = bits.bytes
        var pad: UInt8 = 0xEC
        while out.count < capacity {
            out.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return out
    }

    /// Splits `data` into blocks, adds each block's Reed–Solomon codewords, and
    /// interleaves: data codewords column by column, then error-correction codewords.
    static func interleaved(_ data: [UInt8], version v: Int, _ ec: QRCode.ErrorCorrection) -> [UInt8] {
        let blocks = blockCount[ec.tableIndex][v]
        let eccLength = eccPerBlock[ec.tableIndex][v]
        let raw = rawDataModules(version: v) / 8
        let shortBlocks = blocks - raw % blocks
        let shortDataLength = raw / blocks - eccLength
        let divisor = ReedSolomon.generator(degree: eccLength)

        var dataBlocks: [ArraySlice<UInt8>] = []
        var eccBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blocks {
            let length = shortDataLength + (index < shortBlocks ? 0 : 1)
            let block = data[start..<(start + length)]
            start += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(of: block, divisor: divisor))
        }

        var out: [UInt8] = []
        out.reserveCapacity(raw)
        for i in 0...shortDataLength {
            for block in dataBlocks where i < block.count { out.append(block[block.startIndex + i]) }
        }
        for i in 0..<eccLength {
            for block in eccBlocks { out.append(block[i]) }
        }
        return out
    }
}

/// Big-endian bit accumulator.
private struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    /// Appends the low `count` bits of `value`, most significant first.
    mutating func append(_ value: Int, count bitCount: Int) {
        for shift in stride(from: bitCount - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 != 0 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}

/// Reed–Solomon codes over GF(256) with the QR field polynomial x⁸+x⁴+x³+x²+1 (0x11D).
private enum ReedSolomon {
    /// Product of two field elements.
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> bit) & 1) * Int(x)
        }
        return UInt8(z)
    }

    /// Coefficients of ∏(x − αⁱ) for i in 0..<degree, highest first, the leading 1
    /// left out.
    static func generator(degree: Int) -> [UInt8] {
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                coefficients[j] = multiply(coefficients[j], root)
                if j + 1 < degree { coefficients[j] ^= coefficients[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return coefficients
    }

    /// The error-correction codewords: remainder of data·x^degree divided by the generator.
    static func remainder(of data: ArraySlice<UInt8>, divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

// MARK: - The module matrix

/// A symbol under construction: module colours plus which modules belong to function
/// patterns (and are never masked or used for data).
private struct Matrix {
    let size: Int
    private(set) var dark: [Bool]
    private var isFunction: [Bool]

    /// A matrix with every function pattern drawn and the format area reserved.
    init(version: Int) {
        size = 4 * version + 17
        dark = Array(repeating: false, count: size * size)
        isFunction = dark

        for i in 0..<size {
            setFunction(6, i, i % 2 == 0)
            setFunction(i, 6, i % 2 == 0)
        }
        drawFinder(3, 3)
        drawFinder(size - 4, 3)
        drawFinder(3, size - 4)

        let centers = Layout.alignmentCenters(version: version)
        let last = centers.count - 1
        for (i, cx) in centers.enumerated() {
            for (j, cy) in centers.enumerated() {
                let overlapsFinder = (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)
                if !overlapsFinder { drawAlignment(cx, cy) }
            }
        }
        drawFormat(.medium, mask: 0)  // reserves the area; redrawn once the mask is known
        drawVersion(version)
    }

    private mutating func setFunction(_ x: Int, _ y: Int, _ isDark: Bool) {
        dark[y * size + x] = isDark
        isFunction[y * size + x] = true
    }

    /// Finder pattern centred at (x, y) with its light separator, clipped to the symbol.
    private mutating func drawFinder(_ x: Int, _ y: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let (px, py) = (x + dx, y + dy)
                guard (0..<size).contains(px), (0..<size).contains(py) else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(px, py, ring != 2 && ring != 4)
            }
        }
    }

    /// 5×5 alignment pattern centred at (x, y).
    private mutating func drawAlignment(_ x: Int, _ y: Int) {
        for dy in -2...2 {
            for dx in -2...2 { setFunction(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
        }
    }

    /// Both copies of the 15-bit format information (BCH(15,5), masked with 0x5412)
    /// and the dark module.
    mutating func drawFormat(_ ec: QRCode.ErrorCorrection, mask: Int) {
        let data = ec.formatBits << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 != 0 }

        // Around the top-left finder.
        for i in 0...5 { setFunction(8, i, bit(i)) }
        setFunction(8, 7, bit(6))
        setFunction(8, 8, bit(7))
        setFunction(7, 8, bit(8))
        for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
        // Split between the top-right and bottom-left finders.
        for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
        setFunction(8, size - 8, true)
    }

    /// Both 6×3 copies of the 18-bit version information (BCH(18,6)), versions 7 and up.
    private mutating func drawVersion(_ version: Int) {
        guard version >= 7 else { return }
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        let bits = version << 12 | remainder
        for i in 0..<18 {
            let isDark = (bits >> i) & 1 != 0
            let (a, b) = (size - 11 + i % 3, i / 3)
            setFunction(a, b, isDark)
            setFunction(b, a, isDark)
        }
    }

    /// Places codewords in the two-column zigzag from the bottom-right corner, skipping
    /// function modules and the vertical timing column. Remainder bits stay light.
    mutating func place(_ codewords: [UInt8]) {
        let totalBits = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in [right, right - 1] where !isFunction[y * size + x] && bitIndex < totalBits {
                    dark[y * size + x] = (codewords[bitIndex >> 3] >> (7 - UInt8(bitIndex & 7))) & 1 != 0
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }

    /// Flips every non-function module where mask pattern `mask` (0–7) holds.
    mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] {
                let flip: Bool
                switch mask {
                case 0: flip = (x + y) % 2 == 0
                case 1: flip = y % 2 == 0
                case 2: flip = x % 3 == 0
                case 3: flip = (x + y) % 3 == 0
                case 4: flip = (x / 3 + y / 2) % 2 == 0
                case 5: flip = x * y % 2 + x * y % 3 == 0
                case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0
                default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if flip { dark[y * size + x].toggle() }
            }
        }
    }

    // MARK: Penalty (ISO/IEC 18004 §7.8.3)

    /// The 1:1:3:1:1 dark-light-dark-light-dark core of a finder pattern.
    private static let finderCore: [Bool] = [true, false, true, true, true, false, true]

    /// Sum of the four penalty rules; lower is better.
    func penalty() -> Int {
        var score = 0
        for i in 0..<size {
            let row = (0..<size).map { dark[i * size + $0] }
            let column = (0..<size).map { dark[$0 * size + i] }
            score += Self.runPenalty(row) + Self.runPenalty(column)
            score += Self.finderPenalty(row) + Self.finderPenalty(column)
        }
        // Rule 2: each 2×2 block of one colour.
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let c = dark[y * size + x]
                if c == dark[y * size + x + 1] && c == dark[(y + 1) * size + x]
                    && c == dark[(y + 1) * size + x + 1] {
                    score += 3
                }
            }
        }
        // Rule 4: 10 points per full 5 % that the dark share strays from 50 %.
        let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
        let total = size * size
        score += abs(darkCount * 20 - total * 10) / total * 10
        return score
    }

    /// Rule 1: a run of five or more modules of one colour scores 3, plus 1 per extra.
    private static func runPenalty(_ line: [Bool]) -> Int {
        var score = 0
        var runLength = 0
        for (i, module) in line.enumerated() {
            runLength = i > 0 && module == line[i - 1] ? runLength + 1 : 1
            if runLength == 5 { score += 3 } else if runLength > 5 { score += 1 }
        }
        return score
    }

    /// Rule 3: 40 per finder-like 1:1:3:1:1 pattern with a light area four modules wide
    /// before or after it; outside the symbol (the quiet zone) counts as light.
    private static func finderPenalty(_ line: [Bool]) -> Int {
        let bounds = 0..<line.count
        func isLight(_ range: Range<Int>) -> Bool { !line[range.clamped(to: bounds)].contains(true) }
        var score = 0
        for start in 0...(line.count - finderCore.count)
        where line[start..<(start + finderCore.count)].elementsEqual(finderCore) {
            let end = start + finderCore.count
            if isLight((start - 4)..<start) || isLight(end..<(end + 4)) { score += 40 }
        }
        return score
    }
}
