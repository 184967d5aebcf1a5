import Foundation

/// An `application/x-www-form-urlencoded` body (or query) read into fields. A field given
/// twice keeps its first value; a field that is not UTF-8 after decoding is refused.
public struct FormBody: Sendable, Equatable {
    public private(set) var fields: [String: String] = [:]

    public init(_ text: String) throws {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(kv[0]), let value = Self.decode(kv.count > 1 ? kv[1] : "") else {
                throw HubError(.invalid, "a form field is not percent-encoded UTF-8", code: "invalid-form")
            }
            if fields[name] == nil { fields[name] = value }
        }
    }

    static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    public subscript(_ name: String) -> String? { fields[name] }

    /// A field trimmed, nil when absent or empty.
    public func value(_ name: String) -> String? {
        guard let v = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }
}
