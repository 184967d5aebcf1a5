import Crypto
import Foundation

/// Union e-card QR codes: issued and signed by the hub (Ed25519) for workers who carry no
/// card, verified offline by the box.
///
/// Text form: `STE1.` + base64url(payload JSON) + `.` + base64url(64-byte signature over
/// everything before the second dot). Payload: `{"kid":"...","sub":"...","iat":N,"exp":N}`:
/// the signing key's id, the member's union-wide pseudonym, issue and expiry times
/// (seconds since 1970).
public enum ECard {
    public static let prefix = "STE1."

    public struct Payload: Codable, Sendable, Equatable {
        public var kid: String
        public var sub: String
        public var iat: Int64
        public var exp: Int64
        public init(kid: String, sub: String, iat: Int64, exp: Int64) {
            self.kid = kid
            self.sub = sub
            self.iat = iat
            self.exp = exp
        }
    }

    public enum Verdict: Sendable, Equatable {
        case valid(Payload)
        case expired(Payload)
        case invalid(String)
    }

    /// Issues an e-card (the hub's side; also used by tests).
    public static func issue(_ payload: Payload, signingKey: Curve25519.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = prefix + base64url(try encoder.encode(payload))
        let signature = try signingKey.signature(for: Data(body.utf8))
        return body + "." + base64url(signature)
    }

    /// Verifies an e-card at time `now` (seconds since 1970) against the hub's keys by id.
    public static func verify(_ text: String, keys: [String: Curve25519.Signing.PublicKey], now: Int64) -> Verdict {
        guard text.hasPrefix(prefix) else { return .invalid("not an e-card") }
        let parts = text.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payloadData = unbase64url(parts[0]), let signature = unbase64url(parts[1]), signature.count == 64 else {
            return .invalid("e-card is malformed (damaged or partly scanned QR code)")
        }
        guard let payload = try? JSONDecoder().decode(Payload.self, from: payloadData) else {
            return .invalid("e-card payload is not readable")
        }
        guard let key = keys[payload.kid] else {
            return .invalid("e-card is signed with key \(payload.kid), which this box does not have (sync with the hub)")
        }
        let signed = Data((prefix + parts[0]).utf8)
        guard key.isValidSignature(signature, for: signed) else {
            return .invalid("e-card signature does not verify (forged or altered)")
        }
        guard now < payload.exp else { return .expired(payload) }
        return .valid(payload)
    }

    static func base64url(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
