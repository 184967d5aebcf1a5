import Foundation
import StationCore

/// Markup that is safe to send: literals are the page's own markup, and everything
/// interpolated into them is escaped unless it is ``HTML`` already. A site named
/// `<script>` is text on every page because no page can forget to escape it.
public struct HTML: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public private(set) var raw: String

    public init(stringLiteral value: String) { raw = value }
    public init(stringInterpolation: Interpolation) { raw = stringInterpolation.raw }
    init(raw: String) { self.raw = raw }

    public var description: String { raw }

    /// Text as markup: the one escape every page and sheet uses (``Markup``).
    public static func escape(_ text: String) -> String { Markup.escape(text) }

    public static func + (a: HTML, b: HTML) -> HTML { HTML(raw: a.raw + b.raw) }

    public struct Interpolation: StringInterpolationProtocol {
        var raw = ""
        public init(literalCapacity: Int, interpolationCount: Int) { raw.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { raw += literal }
        public mutating func appendInterpolation(_ text: String) { raw += HTML.escape(text) }
        public mutating func appendInterpolation(_ text: String?) { raw += HTML.escape(text ?? "") }
        public mutating func appendInterpolation(_ html: HTML) { raw += html.raw }
        public mutating func appendInterpolation(_ list: [HTML]) { for h in list { raw += h.raw } }
        public mutating func appendInterpolation(_ n: some BinaryInteger) { raw += String(n) }
    }
}

extension Array where Element == HTML {
    func joined() -> HTML { HTML(raw: map(\.raw).joined()) }
}
