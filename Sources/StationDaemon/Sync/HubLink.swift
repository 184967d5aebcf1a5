import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StationCore
import StationProtocol

/// The box's connection to its hub: where it is and the credential enrollment gave. Kept
/// in the state directory (`hub.json`, mode 0600); the hub keeps only the credential's hash.
public struct HubLink: Codable, Sendable, Equatable {
    public var url: String
    public var boxID: String
    public var siteID: String
    public var credential: String

    public static let fileName = "hub.json"

    public init(url: String, boxID: String, siteID: String, credential: String) {
        self.url = url
        self.boxID = boxID
        self.siteID = siteID
        self.credential = credential
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var status: Int?
        public var description: String
        /// Seconds the hub asked to wait (Retry-After).
        public var retryAfter: Double?
    }

    /// Plain HTTP only to a loopback hub, unless the config says `insecure = true`.
    public static func check(url: String, insecure: Bool) throws(Failure) {
        guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else {
            throw Failure(status: nil, description: "\(url) is not a hub URL")
        }
        if scheme == "http" && !insecure && !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw Failure(status: nil, description: "plain HTTP to \(host) would send events in the clear: use https, or set insecure = true")
        }
    }

    public static func load(stateDirectory: String) -> HubLink? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(HubLink.self, from: data)
    }

    public func save(stateDirectory: String) throws {
        let path = stateDirectory + "/" + Self.fileName
        let tmp = path + ".tmp"
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: tmp), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }

    /// `stationctl enroll URL TOKEN`: trades the one-time token for a credential.
    public static func enroll(url: String, token: String, insecure: Bool) throws(Failure) -> HubLink {
        try check(url: url, insecure: insecure)
        let body = (try? JSONEncoder().encode(EnrollRequest(token: token))) ?? Data()
        let (status, data, _) = try post(url: url + "/v1/enroll", body: body, credential: nil)
        guard status == 200, let r = try? JSONDecoder().decode(EnrollResponse.self, from: data) else {
            throw Failure(status: status, description: "enrollment refused (\(status)): \(Self.reason(data))")
        }
        return HubLink(url: url, boxID: r.boxID, siteID: r.siteID, credential: r.credential)
    }

    /// Uploads a batch; the hub's answer, or why there is none.
    public func upload(_ events: [JournalEvent]) throws(Failure) -> BatchResult {
        let body = (try? JSONEncoder().encode(BatchUpload(boxID: boxID, events: events))) ?? Data()
        let (status, data, retryAfter) = try Self.post(url: url + "/v1/batches", body: body, credential: credential)
        if status == 200 || status == 409, let result = try? JSONDecoder().decode(BatchResult.self, from: data) { return result }
        throw Failure(status: status, description: "upload refused (\(status)): \(Self.reason(data))", retryAfter: retryAfter)
    }

    static func reason(_ data: Data) -> String {
        (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error ?? String(decoding: data.prefix(200), as: UTF8.self)
    }

    /// One session for the process, without caches or cookies: requests to the hub only.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 15
        configuration.timeoutIntervalForResource = 60
        configuration.httpMaximumConnectionsPerHost = 1
        return URLSession(configuration: configuration)
    }()

    /// A blocking POST (the uploader has a thread of its own).
    static func post(url: String, body: Data, credential: String?) throws(Failure) -> (Int, Data, Double?) {
        guard let u = URL(string: url) else { throw Failure(status: nil, description: "bad URL \(url)") }
        var request = URLRequest(url: u, timeoutInterval: 15)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let credential { request.setValue("Bearer \(credential)", forHTTPHeaderField: "Authorization") }
        final class Box: @unchecked Sendable {
            var result: (Int, Data, Double?)?
            var error: String?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                box.result = (http.statusCode, data ?? Data(), (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init))
            } else {
                box.error = error.map { "\($0.localizedDescription)" } ?? "no response"
            }
            done.signal()
        }.resume()
        // The request's own timeout ends it; this bound only guards against a lost callback.
        if done.wait(timeout: .now() + 30) == .timedOut { throw Failure(status: nil, description: "hub did not answer within 30 s") }
        guard let result = box.result else { throw Failure(status: nil, description: "hub unreachable: \(box.error ?? "no response")") }
        return result
    }
}
