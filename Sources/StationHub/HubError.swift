import Foundation
import Hummingbird
import StationProtocol

/// A request the hub refuses, or cannot serve now: what the store and the routes throw.
/// It builds its own answer (the status, `{"error": "...", "code": "..."}`, and
/// `Retry-After` when the database is busy or gone); the command line prints its message.
/// The code is stable (clients and the refusal metric key on it); the message is a plain
/// sentence for people, naming no Swift type and echoing nothing it was not sure of.
public struct HubError: HTTPResponseError, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unauthorized, forbidden, notFound, conflict, invalid, tooLarge, unsupportedMedia, unavailable, uriTooLong, headersTooLarge, tooManyRequests
    }

    public var kind: Kind
    public var message: String
    public var code: String

    public init(_ kind: Kind, _ message: String, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code ?? kind.code
    }

    public var description: String { message }

    public var status: HTTPResponse.Status {
        switch kind {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalid: .badRequest
        case .tooLarge: .contentTooLarge
        case .unsupportedMedia: .unsupportedMediaType
        case .unavailable: .serviceUnavailable
        case .uriTooLong: .uriTooLong
        case .headersTooLarge: .requestHeaderFieldsTooLarge
        case .tooManyRequests: .tooManyRequests
        }
    }

    /// Seconds a box waits before its next try (its backoff otherwise).
    static let retryAfterSeconds = 5

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    var response: Response {
        var response = HubServer.json(status, ErrorBody(error: message, code: code))
        if kind == .unavailable { response.headers[.retryAfter] = "\(Self.retryAfterSeconds)" }
        return response
    }
}

extension HubError.Kind {
    /// The code an error of this kind answers with when it names no finer one.
    var code: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not-found"
        case .conflict: "conflict"
        case .invalid: "invalid"
        case .tooLarge: "too-large"
        case .unsupportedMedia: "unsupported-encoding"
        case .unavailable: "unavailable"
        case .uriTooLong: "url-too-long"
        case .headersTooLarge: "headers-too-large"
        case .tooManyRequests: "too-many-requests"
        }
    }
}
