/// A count over a JSON text before anything is decoded, so that what a body may cost in
/// memory follows these limits and not its length: a body of a few kilobytes that inflates
/// to millions of array elements is refused after one pass over its bytes, holding nothing.
/// It bounds, it does not validate: a text it lets through is still decoded (and refused
/// there when it is not JSON).
public struct JSONLimits: Sendable, Equatable {
    /// Most elements in any one array (a batch's events, a device log's lines).
    public var arrayItems: Int
    /// Most members in any one object.
    public var objectMembers: Int
    /// Deepest nesting of arrays and objects.
    public var depth: Int
    /// Longest string, in bytes as sent (escapes counted as written).
    public var stringBytes: Int

    public init(arrayItems: Int, objectMembers: Int, depth: Int, stringBytes: Int) {
        self.arrayItems = arrayItems
        self.objectMembers = objectMembers
        self.depth = depth
        self.stringBytes = stringBytes
    }

    /// What the hub takes from a box: its largest message is a batch of 2,000 events.
    public static let hub = JSONLimits(arrayItems: 2000, objectMembers: 64, depth: 16, stringBytes: 16 << 10)

    public enum Violation: Error, Sendable, Equatable, CustomStringConvertible {
        case arrayItems(Int), objectMembers(Int), depth(Int), stringBytes(Int)

        public var description: String {
            switch self {
            case .arrayItems(let n): "an array holds more than \(n) items"
            case .objectMembers(let n): "an object holds more than \(n) members"
            case .depth(let n): "arrays and objects nest deeper than \(n)"
            case .stringBytes(let n): "a string is longer than \(n) bytes"
            }
        }
    }

    /// Throws at the first limit the text goes over.
    public func check(_ bytes: some Collection<UInt8>) throws(Violation) {
        // Per open container: is it an array, and how many commas seen at its level.
        var open: [(array: Bool, items: Int, empty: Bool)] = []
        open.reserveCapacity(depth)
        var inString = false, escaped = false, stringLength = 0
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    continue
                }
                stringLength += 1
                if stringLength > stringBytes { throw .stringBytes(stringBytes) }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringLength = 0
                try counted(&open)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                try counted(&open)
                guard open.count < depth else { throw .depth(depth) }
                open.append((byte == UInt8(ascii: "["), 0, true))
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = open.popLast()
            case UInt8(ascii: ","):
                if !open.isEmpty { open[open.count - 1].empty = true }
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), UInt8(ascii: ":"):
                continue
            default:
                // A number or a literal: one value, counted at its first byte only.
                if let last = open.last, last.empty { try counted(&open) }
            }
        }
    }

    /// Counts a value (an array element) or a member's key (an object member) that starts
    /// here, once per comma-separated slot of its container.
    private func counted(_ open: inout [(array: Bool, items: Int, empty: Bool)]) throws(Violation) {
        guard let last = open.indices.last, open[last].empty else { return }
        open[last].empty = false
        open[last].items += 1
        if open[last].array, open[last].items > arrayItems { throw .arrayItems(arrayItems) }
        if !open[last].array, open[last].items > objectMembers { throw .objectMembers(objectMembers) }
    }
}
