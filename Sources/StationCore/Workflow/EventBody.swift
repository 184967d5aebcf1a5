/// An event draft as the journal stores it (the `body` column), and a whole event as the
/// hub hashes and stores it: JSON with its keys sorted and absent optionals left out, byte
/// for byte what `JSONEncoder` with `.sortedKeys` writes for the same value (the tests hold
/// it to that), written directly: the encoder built a tree of values first, a third of a
/// scan's CPU on its way to the disk and a tenth of the hub's ingest. Read back with
/// `JSONDecoder` like any JSON.
public enum EventBody {
    public static func json(_ draft: EventDraft) -> String {
        var w = SortedJSONWriter()
        write(draft, to: &w)
        return w.text
    }

    public static func json(_ event: JournalEvent) -> String {
        var w = SortedJSONWriter()
        w.object { o in
            o.field("boxID", event.boxID)
            o.key("draft")
            write(event.draft, to: &o)
            o.key("epoch")
            o.number(Int64(event.epoch))
            o.key("seq")
            o.number(event.seq)
            o.field("siteID", event.siteID)
            o.key("time")
            o.object { t in
                t.field("bootID", event.time.bootID)
                t.key("monotonicMicros")
                t.number(event.time.monotonicMicros)
                t.key("synchronized")
                t.bool(event.time.synchronized)
                t.key("wallMillis")
                t.number(event.time.wallMillis)
            }
        }
        return w.text
    }

    static func write(_ draft: EventDraft, to w: inout SortedJSONWriter) {
        w.object { o in
            o.field("destination", ifPresent: draft.destination)
            o.field("dueDate", ifPresent: draft.dueDate)
            o.key("flags")
            o.array(draft.flags)
            if let item = draft.item {
                o.key("item")
                o.object { i in
                    i.field("addOn", ifPresent: item.addOn)
                    i.field("key", item.key)
                    i.field("title", ifPresent: item.title)
                }
            }
            o.field("kind", draft.kind.rawValue)
            if let refersTo = draft.refersTo {
                o.key("refersTo")
                o.number(refersTo)
            }
            o.field("request", ifPresent: draft.request)
            o.field("scannerID", ifPresent: draft.scannerID)
            o.field("service", ifPresent: draft.service)
            if let worker = draft.worker {
                o.key("worker")
                o.object { k in
                    k.field("kind", worker.kind.rawValue)
                    k.field("localHash", worker.localHash)
                    k.field("masked", worker.masked)
                    k.field("pseudonym", ifPresent: worker.pseudonym)
                    if let sealed = worker.sealed {
                        k.key("sealed")
                        k.object { s in
                            s.field("ciphertext", sealed.ciphertext)
                            s.field("encapsulatedKey", sealed.encapsulatedKey)
                            s.key("keyVersion")
                            s.number(Int64(sealed.keyVersion))
                        }
                    }
                }
            }
        }
    }
}

/// The few shapes of JSON an event body has, escaped as `JSONEncoder` escapes strings
/// (`"` `\` `/`, the short escapes, other control characters as `\u00XX`). The caller
/// writes each object's keys in sorted order.
struct SortedJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next key of the object being written follows another.
    private var follows = false

    init() { bytes.reserveCapacity(256) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func object(_ body: (inout SortedJSONWriter) -> Void) {
        let outer = follows
        follows = false
        bytes.append(UInt8(ascii: "{"))
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        follows = outer
    }

    mutating func key(_ name: String) {
        if follows { bytes.append(UInt8(ascii: ",")) }
        follows = true
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, ifPresent value: String?) {
        if let value { field(name, value) }
    }

    mutating func array(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(v)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func number(_ n: Int64) { bytes.append(contentsOf: String(n).utf8) }

    mutating func bool(_ b: Bool) { bytes.append(contentsOf: (b ? "true" : "false").utf8) }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = s.utf8
        var plain = utf8.startIndex
        var i = plain
        while i != utf8.endIndex {
            let byte = utf8[i]
            let escape: StaticString? =
                switch byte {
                case UInt8(ascii: "\""): "\\\""
                case UInt8(ascii: "\\"): "\\\\"
                case UInt8(ascii: "/"): "\\/"
                case 0x08: "\\b"
                case 0x0C: "\\f"
                case 0x0A: "\\n"
                case 0x0D: "\\r"
                case 0x09: "\\t"
                default: nil
                }
            if byte < 0x20 || escape != nil {
                bytes.append(contentsOf: utf8[plain..<i])
                if let escape {
                    escape.withUTF8Buffer { bytes.append(contentsOf: $0) }
                } else {
                    bytes.append(contentsOf: "\\u00".utf8)
                    bytes.append(Self.hex[Int(byte >> 4)])
                    bytes.append(Self.hex[Int(byte & 0x0F)])
                }
                plain = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        bytes.append(contentsOf: utf8[plain..<utf8.endIndex])
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex = Array("0123456789abcdef".utf8)
}
