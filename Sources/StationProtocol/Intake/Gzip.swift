import CZlib

/// A gzip body (RFC 1952) taken strictly: one member, its header read here, its deflate
/// data inflated raw within a size limit, then its trailer checked (the CRC-32 and the
/// length of what it inflated to), and nothing after it. zlib's own gzip mode answers a
/// stream cut off before or inside its trailer as if it were whole; this does not.
public enum Gzip {
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// It inflates to more than the limit.
        case tooLarge(Int)
        /// Not one whole, intact gzip member: why.
        case invalid(String)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "the body inflates to more than \(limit) bytes"
            case .invalid(let why): "the body is not valid gzip: \(why)"
            }
        }
    }

    /// The inflated bytes of `body`, at most `maxSize` of them. The trailer's length is read
    /// first: a body that says it inflates beyond the limit is refused before any of it is
    /// inflated, and one that inflates beyond what it said is refused when it gets there, so
    /// a body costs at most the memory its trailer (within the limit) declares.
    public static func inflate(_ body: [UInt8], maxSize: Int) throws(Refusal) -> [UInt8] {
        let start = try headerLength(body)
        guard body.count >= start + 8 else { throw .invalid("the data is cut off") }
        let declared = Int(littleEndian32(body, at: body.count - 4))
        // Deflate expands at most about 1032 to 1: a length beyond that is no trailer at all
        // (the body is cut off or damaged), not a large body.
        guard declared <= (body.count - start) * maxRatio + 1024 else { throw .invalid("the trailer's length cannot be right") }
        guard declared <= maxSize else { throw .tooLarge(maxSize) }
        // One byte more than declared: room for zlib to reach the final block's end.
        var out = [UInt8](repeating: 0, count: declared + 1)
        let (consumed, produced) = try inflateRaw(body[start...], into: &out)
        // What is left is the trailer, and only it.
        let rest = body.count - start - consumed
        guard rest >= 8 else { throw .invalid("the trailer is missing") }
        guard rest == 8 else { throw .invalid("\(rest - 8) bytes follow the trailer") }
        guard produced == declared else { throw .invalid("the length does not match") }
        out.removeLast(out.count - produced)
        guard littleEndian32(body, at: body.count - 8) == crc32(out) else { throw .invalid("the CRC-32 does not match") }
        return out
    }

    /// Inflates raw deflate data through its final block into `out`: how many bytes of
    /// `input` that took, and how many it produced.
    static func inflateRaw(_ input: ArraySlice<UInt8>, into out: inout [UInt8]) throws(Refusal) -> (consumed: Int, produced: Int) {
        var stream = z_stream()
        guard station_inflate_init_raw(&stream) == Z_OK else { throw .invalid("the data cannot be inflated here") }
        defer { inflateEnd(&stream) }
        let capacity = out.count
        let (status, inputLeft, outputLeft) = input.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                // All of the input and all of the room at once: zlib stops at the final
                // block's end, at an error, or when one side runs out.
                let status = CZlib.inflate(&stream, Z_FINISH)
                return (status, Int(stream.avail_in), Int(stream.avail_out))
            }
        }
        switch status {
        case Z_STREAM_END: return (input.count - inputLeft, capacity - outputLeft)
        case Z_OK, Z_BUF_ERROR:
            if outputLeft == 0 { throw .invalid("it inflates to more than its trailer says") }
            // Every byte taken and no end seen: the data stops before its final block.
            throw .invalid("the data is cut off")
        default: throw .invalid("the data is damaged")
        }
    }

    /// More than deflate's greatest expansion.
    static let maxRatio = 1100

    /// Length of a gzip member's header: magic, method deflate, no reserved flags, and
    /// the optional extra field, name, comment and header CRC skipped.
    static func headerLength(_ body: [UInt8]) throws(Refusal) -> Int {
        let bytes = body.prefix(64 << 10)
        guard bytes.count >= 10, bytes[0] == 0x1f, bytes[1] == 0x8b else { throw .invalid("no gzip header") }
        guard bytes[2] == 8 else { throw .invalid("compression method \(bytes[2]) is not deflate") }
        let flags = bytes[3]
        guard flags & 0xe0 == 0 else { throw .invalid("reserved header flags are set") }
        var at = 10
        if flags & 0x04 != 0 {
            guard bytes.count >= at + 2 else { throw .invalid("the header is cut off") }
            at += 2 + Int(bytes[at]) + Int(bytes[at + 1]) << 8
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {
            guard let end = bytes[min(at, bytes.count)...].firstIndex(of: 0) else { throw .invalid("the header is cut off") }
            at = end + 1
        }
        if flags & 0x02 != 0 { at += 2 }
        guard at <= body.count else { throw .invalid("the header is cut off") }
        return at
    }

    static func littleEndian32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) }
    }

    /// CRC-32 (ISO-HDLC, the one gzip uses), by zlib.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
