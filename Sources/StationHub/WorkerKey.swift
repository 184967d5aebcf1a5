import StationCore
import StationProtocol

/// How the hub names a worker in its ledger and reports, as an operator types it: a
/// pseudonym (`p1:` and 32 hex digits), or, for events a hub without keys took, a box-local
/// key (`BOX/v1:` and 64 hex digits). Anything else is refused with what to do, and an
/// identity or card number typed here is never echoed back.
public enum WorkerKey: Sendable, Equatable {
    case pseudonym(String)
    case boxLocal(box: String, hash: String)

    public var text: String {
        switch self {
        case .pseudonym(let p): p
        case .boxLocal(let box, let hash): "\(box)/\(hash)"
        }
    }

    public init(_ text: String) throws(HubError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("erased:") || t.hasPrefix("expired:") { throw HubError(.invalid, "that tag names no one already (its worker was erased or expired)") }
        if Self.isPseudonym(t) {
            self = .pseudonym(t)
            return
        }
        if let slash = t.firstIndex(of: "/"), !t[..<slash].isEmpty, BoxClaims.isLocalHash(String(t[t.index(after: slash)...])) {
            self = .boxLocal(box: String(t[..<slash]), hash: String(t[t.index(after: slash)...]))
            return
        }
        let lookup = "`stationhub worker lookup -` turns a card or identity number (from standard input) into the pseudonym"
        if t.count >= 6, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "X" || $0 == "x") }) {
            throw HubError(.invalid, "that looks like a card or identity number, which the hub never keeps: \(lookup)")
        }
        throw HubError(.invalid, "not a worker as the hub names one: a pseudonym (p1:...) or a box-local key (BOX/v1:...); \(lookup)")
    }

    /// `p`, a key version, `:` and 32 hex digits (``CredentialProtector/pseudonym(_:key:version:)``).
    static func isPseudonym(_ t: String) -> Bool {
        let bytes = Array(t.utf8)
        guard bytes.first == UInt8(ascii: "p"), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let version = bytes[1..<colon], mac = bytes[(colon + 1)...]
        return (1...9).contains(version.count) && version.allSatisfy { (0x30...0x39).contains($0) }
            && mac.count == 32 && mac.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
