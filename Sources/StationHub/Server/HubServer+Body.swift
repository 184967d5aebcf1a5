import Foundation
import Hummingbird
import NIOCore
import StationProtocol

/// Request bodies: collected within the limit on the wire, then read by ``BodyIntake``
/// (strict gzip, the JSON's shape bounded before decoding, a batch's malformed events set
/// aside one by one); its refusals answered as ``HubError``s.
extension HubServer {
    /// The request body, inflated when it came gzip, within the limits on the wire and
    /// inflated.
    static func body(_ request: Request, limit: Int = maxBodyBytes) async throws -> [UInt8] {
        let raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: limit)
        } catch {
            throw HubError(.tooLarge, "the body is larger than \(limit) bytes", code: "body-too-large")
        }
        return try intake { () throws(BodyIntake.Refusal) in
            try BodyIntake.inflated(Array(raw.readableBytesView), encoding: request.headers[.contentEncoding])
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], expected: String) throws -> T {
        try intake { () throws(BodyIntake.Refusal) in try BodyIntake.decode(type, body, expected: expected) }
    }

    static func decodeBatch(_ body: [UInt8], box: String) throws -> BodyIntake.Batch {
        try intake { () throws(BodyIntake.Refusal) in try BodyIntake.batch(body, box: box) }
    }

    /// What ``BodyIntake`` refuses, as the hub answers it.
    static func intake<T>(_ read: () throws(BodyIntake.Refusal) -> T) throws(HubError) -> T {
        do {
            return try read()
        } catch {
            let kind: HubError.Kind =
                switch error.kind {
                case .tooLarge: .tooLarge
                case .invalid: .invalid
                case .unsupportedEncoding: .unsupportedMedia
                }
            throw HubError(kind, error.message, code: error.code)
        }
    }
}
