import Foundation
import StationCore

/// An event of a box's batch as the hub reads it: decoded, with the canonical text its
/// content hash is of, or set aside with the reason it could not be read.
public enum IncomingEvent: Sendable {
    case event(JournalEvent, canonical: String)
    case unreadable(seq: Int64?, body: String, reason: String)

    /// An event the hub holds already (an offline bundle's): with its canonical text.
    public init(_ event: JournalEvent) {
        self = .event(event, canonical: Canonical.text(event))
    }
}

/// One JSON form per value: keys sorted, so the same event always hashes the same.
public enum Canonical {
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    public static func text(_ value: some Encodable) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// An event's: the same bytes, written without the encoder (``EventBody``), as the hub
    /// writes two for each event it takes.
    public static func text(_ event: JournalEvent) -> String { EventBody.json(event) }
}

/// What the hub does with a request body before anything else sees it, as values: gzip
/// inflated strictly within a limit, the JSON's shape bounded by one pass over its bytes,
/// then decoded; a batch so that one malformed event is set aside with a plain reason and
/// the rest still apply. Memory follows the limits, never the body.
public enum BodyIntake {
    /// Most bytes a body may inflate to, and most events (or lines, or corrections) in one
    /// request.
    public static let maxInflatedBytes = 8 << 20
    public static let maxBatchEvents = 2000

    /// Why a body is refused: its kind decides the HTTP status, its code is stable.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable { case tooLarge, invalid, unsupportedEncoding }
        public var kind: Kind
        public var message: String
        public var code: String?

        init(_ kind: Kind, _ message: String, code: String? = nil) {
            (self.kind, self.message, self.code) = (kind, message, code)
        }

        public var description: String { message }
    }

    /// The body's bytes, inflated when it came gzip (`Content-Encoding`).
    public static func inflated(_ raw: [UInt8], encoding: String?) throws(Refusal) -> [UInt8] {
        switch encoding?.lowercased() {
        case nil, "identity":
            return raw
        case "gzip":
            do {
                return try Gzip.inflate(raw, maxSize: maxInflatedBytes)
            } catch .tooLarge {
                throw Refusal(.tooLarge, "the body inflates to more than \(maxInflatedBytes) bytes", code: "body-too-large")
            } catch {
                throw Refusal(.invalid, error.description, code: "gzip-invalid")
            }
        case let other?:
            throw Refusal(.unsupportedEncoding, "Content-Encoding \(other) is not accepted (gzip or none)")
        }
    }

    /// A JSON body's bytes for the decoder, once a pass over them found it within
    /// ``JSONLimits/hub``: what decoding may then cost follows the limits, not the body.
    public static func bounded(_ bytes: [UInt8]) throws(Refusal) -> Data {
        do throws(JSONLimits.Violation) {
            try JSONLimits.hub.check(bytes)
        } catch {
            throw Refusal(.tooLarge, error.description, code: "json-too-large")
        }
        return Data(bytes)
    }

    /// One JSON value of `type`, or `expected` as the refusal.
    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], expected: String) throws(Refusal) -> T {
        let data = try bounded(bytes)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw Refusal(.invalid, "expected \(expected)")
        }
    }

    /// A batch: its events, and what the box says of itself beside them.
    public struct Batch: Sendable {
        public var events: [IncomingEvent]
        public var backlog: Int64?
        public var software: String?
    }

    /// A batch's events. The whole batch decodes in one pass when every event is well
    /// formed (the usual case); otherwise each event is decoded on its own, so that a
    /// malformed one is set aside and the rest still apply.
    public static func batch(_ bytes: [UInt8], box: String) throws(Refusal) -> Batch {
        let data = try bounded(bytes)
        let expected = Refusal(.invalid, "expected {\"box_id\": \"<this box>\", \"events\": [...]}")
        let tooMany = Refusal(.tooLarge, "at most \(maxBatchEvents) events per batch", code: "too-many-events")
        if let batch = try? JSONDecoder().decode(BatchUpload.self, from: data) {
            guard batch.boxID == box else { throw expected }
            guard batch.events.count <= maxBatchEvents else { throw tooMany }
            try checkReport(batch.backlog, batch.software)
            return Batch(events: batch.events.map(IncomingEvent.init), backlog: batch.backlog, software: batch.software)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let events = object["events"] as? [Any], object["box_id"] as? String == box
        else { throw expected }
        guard events.count <= maxBatchEvents else { throw tooMany }
        // What the box says of itself must be what the contract says, or absent or null.
        let backlog = object["backlog"] as? Int64, software = object["software"] as? String
        if backlog == nil, let given = object["backlog"], !(given is NSNull) { throw Refusal(.invalid, "backlog must be a whole number") }
        if software == nil, let given = object["software"], !(given is NSNull) { throw Refusal(.invalid, "software must be a string") }
        try checkReport(backlog, software)
        return Batch(events: events.map(event), backlog: backlog, software: software)
    }

    /// What a box says of itself: a backlog of 0 or more, software named in at most 64
    /// printable characters.
    static func checkReport(_ backlog: Int64?, _ software: String?) throws(Refusal) {
        if let backlog, backlog < 0 { throw Refusal(.invalid, "backlog must be 0 or more") }
        if let software, software.utf8.count > 64 || !software.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) {
            throw Refusal(.invalid, "software is at most 64 printable characters")
        }
    }

    /// One event of a batch, decoded on its own. (Foundation's writer stops the process on
    /// anything but an array or an object at the top: a number, a string or null in a
    /// batch's events is written as a fragment.)
    public static func event(_ raw: Any) -> IncomingEvent {
        let data = (try? JSONSerialization.data(withJSONObject: raw, options: [.fragmentsAllowed])) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        guard let object = raw as? [String: Any] else {
            return .unreadable(seq: nil, body: text, reason: "not an event this hub understands: an event is a JSON object")
        }
        let seq = object["seq"] as? Int64
        do {
            return IncomingEvent(try JSONDecoder().decode(JournalEvent.self, from: data))
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
