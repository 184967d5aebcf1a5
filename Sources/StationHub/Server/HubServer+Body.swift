import Foundation
import Hummingbird
import NIOCore
import StationCore
import StationProtocol

/// Request bodies: gzip or not, the bytes on the wire, the bytes they inflate to and the
/// shape of their JSON bounded, so a bomb is refused before it costs memory; a batch
/// decoded so that one malformed event is quarantined, with a plain reason, and the rest
/// still apply.
extension HubServer {
    /// The request body, inflated when it came gzip (strictly: see ``Gzip``), within the
    /// limits on the wire and inflated.
    static func body(_ request: Request, limit: Int = maxBodyBytes) async throws -> ByteBuffer {
        let raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: limit)
        } catch {
            throw HubError(.tooLarge, "the body is larger than \(limit) bytes", code: "body-too-large")
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            return raw
        case "gzip":
            do {
                return try Gzip.inflate(raw, maxSize: maxInflatedBytes)
            } catch .tooLarge {
                throw HubError(.tooLarge, "the body inflates to more than \(maxInflatedBytes) bytes", code: "body-too-large")
            } catch {
                throw HubError(.invalid, error.description, code: "gzip-invalid")
            }
        case let other?:
            throw HubError(.unsupportedMedia, "Content-Encoding \(other) is not accepted (gzip or none)")
        }
    }

    /// A JSON body's bytes for the decoder, once a pass over them found it within
    /// ``JSONLimits/hub``: what decoding may then cost follows the limits, not the body.
    static func bounded(_ body: ByteBuffer) throws -> Data {
        let violation = body.withUnsafeReadableBytes { bytes -> JSONLimits.Violation? in
            do throws(JSONLimits.Violation) {
                try JSONLimits.hub.check(bytes)
                return nil
            } catch {
                return error
            }
        }
        if let violation { throw HubError(.tooLarge, violation.description, code: "json-too-large") }
        return Data(buffer: body)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer, expected: String) throws -> T {
        let data = try bounded(body)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw HubError(.invalid, "expected \(expected)")
        }
    }

    /// A batch's events. The whole batch decodes in one pass when every event is well
    /// formed (the usual case); otherwise each event is decoded on its own, so that a
    /// malformed one is quarantined and the rest still apply.
    static func decodeBatch(_ body: ByteBuffer, box: String) throws -> [HubIncoming] {
        let data = try bounded(body)
        let expected = HubError(.invalid, "expected {\"box_id\": \"<this box>\", \"events\": [...]}")
        let tooMany = HubError(.tooLarge, "at most \(maxBatchEvents) events per batch", code: "too-many-events")
        if let batch = try? JSONDecoder().decode(BatchUpload.self, from: data) {
            guard batch.boxID == box else { throw expected }
            guard batch.events.count <= maxBatchEvents else { throw tooMany }
            let encoder = HubIngest.encoder
            return try batch.events.map { .event($0, canonical: String(decoding: try encoder.encode($0), as: UTF8.self)) }
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let events = object["events"] as? [Any], object["box_id"] as? String == box
        else { throw expected }
        guard events.count <= maxBatchEvents else { throw tooMany }
        return events.map(decodeEvent)
    }

    /// One event of a batch, decoded on its own.
    static func decodeEvent(_ raw: Any) -> HubIncoming {
        let data = (try? JSONSerialization.data(withJSONObject: raw)) ?? Data()
        let seq = (raw as? [String: Any])?["seq"] as? Int64
        let text = String(decoding: data, as: UTF8.self)
        do {
            let event = try JSONDecoder().decode(JournalEvent.self, from: data)
            let canonical = String(decoding: try HubIngest.encoder.encode(event), as: UTF8.self)
            return .event(event, canonical: canonical)
        } catch {
            return .unreadable(seq: seq, body: text, reason: "not an event this hub understands: \(plainReason(error))")
        }
    }

    /// A decoding error as a plain sentence naming the field: no Swift type names, no
    /// debug descriptions (this goes back to the box and into the quarantine).
    static func plainReason(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "not JSON" }
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the event" : String(text.drop(while: { $0 == "." }))
        }
        func what(_ type: Any.Type) -> String {
            switch type {
            case is any BinaryInteger.Type: "a whole number"
            case is any StringProtocol.Type: "a string"
            case is Bool.Type: "true or false"
            case is any BinaryFloatingPoint.Type: "a number"
            default: String(describing: type).hasPrefix("Array<") ? "an array" : "an object"
            }
        }
        switch e {
        case .typeMismatch(let type, let c): return "\(path(c.codingPath)) must be \(what(type))"
        case .valueNotFound(let type, let c): return "\(path(c.codingPath)) must be \(what(type)), not null"
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])) is missing"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not JSON" : "\(path(c.codingPath)) holds a value this hub does not know"
        @unknown default: return "not an event"
        }
    }
}
