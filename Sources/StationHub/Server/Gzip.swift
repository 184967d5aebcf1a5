import CompressNIO
import NIOCore

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
    public static func inflate(_ body: ByteBuffer, maxSize: Int) throws(Refusal) -> ByteBuffer {
        var input = body
        let start = try headerLength(input.readableBytesView)
        guard input.readableBytes >= start + 8, let declared = input.getInteger(at: input.writerIndex - 4, endianness: .little, as: UInt32.self) else {
            throw .invalid("the data is cut off")
        }
        // Deflate expands at most about 1032 to 1: a length beyond that is no trailer at all
        // (the body is cut off or damaged), not a large body.
        guard Int(declared) <= (input.readableBytes - start) * maxRatio + 1024 else { throw .invalid("the trailer's length cannot be right") }
        guard Int(declared) <= maxSize else { throw .tooLarge(maxSize) }
        input.moveReaderIndex(forwardBy: start)
        // One byte more than declared: room for zlib to reach the final block's end.
        var out = ByteBufferAllocator().buffer(capacity: Int(declared) + 1)
        try inflateRaw(&input, into: &out)
        // What is left is the trailer, and only it.
        guard input.readableBytes >= 8 else { throw .invalid("the trailer is missing") }
        guard input.readableBytes == 8 else { throw .invalid("\(input.readableBytes - 8) bytes follow the trailer") }
        let crc = input.getInteger(at: input.readerIndex, endianness: .little, as: UInt32.self)
        guard out.readableBytes == Int(declared) else { throw .invalid("the length does not match") }
        guard crc == out.withUnsafeReadableBytes({ CRC32.checksum($0) }) else { throw .invalid("the CRC-32 does not match") }
        return out
    }

    /// Inflates raw deflate data from `input` through its final block, into the room `out`
    /// has, leaving `input` just after it.
    static func inflateRaw(_ input: inout ByteBuffer, into out: inout ByteBuffer) throws(Refusal) {
        do {
            // With room left on both sides zlib stops only at the final block's end (or an error).
            try ZlibDecompressor(algorithm: .deflate).inflate(from: &input, to: &out)
        } catch let e as CompressNIOError where e == .bufferOverflow {
            throw .invalid("it inflates to more than its trailer says")
        } catch {
            throw .invalid("the data is damaged")
        }
        // Every byte taken and no end seen: the data stops before its final block.
        guard input.readableBytes > 0 else { throw .invalid("the data is cut off") }
    }

    /// More than deflate's greatest expansion.
    static let maxRatio = 1100

    /// Length of a gzip member's header: magic, method deflate, no reserved flags, and
    /// the optional extra field, name, comment and header CRC skipped.
    static func headerLength(_ b: ByteBufferView) throws(Refusal) -> Int {
        let bytes = Array(b.prefix(64 << 10))
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
        guard at <= b.count else { throw .invalid("the header is cut off") }
        return at
    }
}

/// CRC-32 (ISO-HDLC, the one gzip and zlib use), table-driven.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
