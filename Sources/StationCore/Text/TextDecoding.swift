#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-to-text conversion for the encodings scanners use. Pure: iconv converts in
/// memory; a byte sequence that is not valid in the encoding gives nil, never a guess.
public enum TextDecoding {
    public enum Encoding: String, Sendable {
        case utf8 = "UTF-8"
        case gb18030 = "GB18030"
        case gbk = "GBK"
        case cp437 = "IBM437"
        case cp1252 = "CP1252"
    }

    public static func decode(_ bytes: [UInt8], as encoding: Encoding) -> String? {
        if encoding == .utf8 {
            return String(validating: bytes, as: UTF8.self)
        }
        let cd = iconv_open("UTF-8", encoding.rawValue)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 8)
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) == -1 || inLeft != 0 { return nil }
                // Flush any shift state; an incomplete trailing sequence is an error.
                if iconv(cd, nil, nil, &outPtr, &outLeft) == -1 { return nil }
                return outBuf.count - outLeft
            }
        }
        guard let produced else { return nil }
        return String(validating: output[0..<produced].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The text an "ALT mode" scanner meant by Alt + the keypad digits `digits`.
    public static func altCode(_ digits: String, codePage: AltCodePage) -> String? {
        guard !digits.isEmpty, digits.count <= 7, let value = UInt32(digits) else { return nil }
        switch codePage {
        case .unicode:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return String(Character(scalar))
        case .gbk:
            if value < 0x80 { return String(Character(Unicode.Scalar(UInt8(value)))) }
            guard value <= 0xFFFF else { return nil }
            return decode([UInt8(value >> 8), UInt8(value & 0xFF)], as: .gbk)
        case .cp437:
            guard value <= 0xFF else { return nil }
            // Windows' convention: a leading zero selects the ANSI code page.
            return decode([UInt8(value)], as: digits.hasPrefix("0") ? .cp1252 : .cp437)
        }
    }
}
