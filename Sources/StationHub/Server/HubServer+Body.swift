import CompressNIO
import Foundation
import Hummingbird
import NIOCore
import StationCore
import StationProtocol

/// Request bodies: gzip or not, both the bytes on the wire and the bytes they inflate to
/// bounded, so a zip bomb is refused before it costs memory; a batch decoded so that one
/// malformed event is quarantined and the rest still apply.
extension HubServer {
    /// The request body, inflated when it came gzip, within the limits.
    static func body(_ request: Request, limit: Int = maxBodyBytes) async throws -> Data {
        var raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: limit)
        } catch {
            throw HubError(.tooLarge, "the body is larger than \(limit) bytes")
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            return Data(buffer: raw)
        case "gzip":
            do {
                return Data(buffer: try raw.decompress(with: .gzip(), maxSize: maxInflatedBytes))
            } catch let e as CompressNIOError where e == .bufferOverflow {
                throw HubError(.tooLarge, "the body inflates to more than \(maxInflatedBytes) bytes")
            } catch {
                throw HubError(.invalid, "the body is not valid gzip")
            }
        case let other?:
            throw HubError(.unsupportedMedia, "Content-Encoding \(other) is not accepted (gzip or none)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, expected: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw HubError(.invalid, "expected \(expected)")
        }
    }

    /// A batch's events. The whole batch decodes in one pass when every event is well
    /// formed (the usual case); otherwise each event is decoded on its own, so that a
    /// malformed one is quarantined and the rest still apply.
    static func decodeBatch(_ data: Data, box: String) throws -> [HubIncoming] {
        let expected = HubError(.invalid, "expected {\"box_id\": \"<this box>\", \"events\": [...]}")
        let tooMany = HubError(.tooLarge, "at most \(maxBatchEvents) events per batch")
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
            return .unreadable(seq: seq, body: text, reason: "not an event this hub understands: \(error)")
        }
    }
}
