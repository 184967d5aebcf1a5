/// A JSON object written as one line with its keys in the order given: the output of
/// `stationd listen --json`, read through pipes by people and by tests.
public struct JSONLine: Sendable, Equatable {
    public indirect enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case null
        case object(JSONLine)
        case array([Value])
    }

    public private(set) var fields: [(String, Value)] = []

    public init(_ fields: [(String, Value)] = []) {
        self.fields = fields
    }

    public static func == (a: JSONLine, b: JSONLine) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public mutating func append(_ key: String, _ value: Value) { fields.append((key, value)) }

    public var rendered: String {
        "{" + fields.map { "\(Self.quote($0.0)):\(Self.render($0.1))" }.joined(separator: ",") + "}"
    }

    static func render(_ value: Value) -> String {
        switch value {
        case .string(let s): quote(s)
        case .int(let n): String(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .object(let o): o.rendered
        case .array(let values): "[" + values.map(render).joined(separator: ",") + "]"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x2028...0x2029).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
