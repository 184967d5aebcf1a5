import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import StationCore
import StationInput
import StationSystem
import StationProtocol

/// HTTP to the hub (AsyncHTTPClient): HTTPS with the system's CAs or the config's
/// `ca_file`, plain HTTP only where `HubLink.check` allows it. Request bodies go gzip;
/// answers may come gzip (inflation bounded). Every answer's `Date` is kept, for the
/// clock check. Call ``shutdown()`` before dropping it.
public final class HubClient: Sendable {
    public let url: String
    let client: HTTPClient
    let credential: String?

    /// The hub's `Date` and this box's clocks when the answer carrying it arrived.
    public struct HubDate: Sendable {
        public var hubMillis: Int64
        public var localWallMillis: Int64
        public var monotonicMicros: Int64
    }

    public init(url: String, credential: String?, insecure: Bool, caFile: String?) throws(HubRequestError) {
        try HubLink.check(url: url, insecure: insecure)
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.credential = credential
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw HubRequestError(status: nil, description: "cannot read the hub CA file \(caFile): \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(30)), proxy: nil, ignoreUncleanSSLShutdown: false,
            decompression: .enabled(limit: .size(64 << 20)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public convenience init(link: HubLink, insecure: Bool, caFile: String?) throws(HubRequestError) {
        try self.init(url: link.url, credential: link.credential, insecure: insecure, caFile: caFile)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// `stationctl enroll URL TOKEN` and enrollment cards: the one-time token for a credential.
    public func enroll(token: String) async throws(HubRequestError) -> HubLink {
        let (status, data, _) = try await send("POST", "/v1/enroll", body: try encode(EnrollRequest(token: token)))
        guard status == 200, let r = try? JSONDecoder().decode(EnrollResponse.self, from: data) else {
            throw HubRequestError(status: status, description: "enrollment refused (\(status)): \(HubLink.reason(data))")
        }
        return HubLink(url: url, boxID: r.boxID, siteID: r.siteID, credential: r.credential, keys: r.keys)
    }

    /// Uploads a batch; the hub's answer (200, or 409 with a conflict quarantined).
    public func upload(boxID: String, events: [JournalEvent]) async throws(HubRequestError) -> (BatchResult, HubDate?) {
        try await upload(body: try encode(BatchUpload(boxID: boxID, events: events)))
    }

    /// Uploads a batch already encoded (a `BatchUpload`).
    public func upload(body: Data) async throws(HubRequestError) -> (BatchResult, HubDate?) {
        let (status, data, date) = try await send("POST", "/v1/batches", body: body)
        if status == 200 || status == 409, let result = try? JSONDecoder().decode(BatchResult.self, from: data) { return (result, date) }
        throw refusal("upload", status, data)
    }

    public func send(corrections: [ClockCorrection]) async throws(HubRequestError) -> Accepted {
        try await accepted("/v1/clock-corrections", try encode(ClockCorrectionUpload(corrections: corrections)))
    }

    public func send(deviceLog lines: [DeviceLogLine]) async throws(HubRequestError) -> Accepted {
        try await accepted("/v1/device-log", try encode(DeviceLogUpload(lines: lines)))
    }

    /// What changed at the hub since `revision`, and the hub's `Date`.
    public func downlink(since revision: Int64) async throws(HubRequestError) -> (Downlink, HubDate?) {
        let (status, data, date) = try await send("GET", "/v1/downlink?since=\(revision)", body: nil)
        if status == 200, let d = try? JSONDecoder().decode(Downlink.self, from: data) { return (d, date) }
        throw refusal("downlink", status, data)
    }

    func accepted(_ path: String, _ body: Data) async throws(HubRequestError) -> Accepted {
        let (status, data, _) = try await send("POST", path, body: body)
        if status == 200, let a = try? JSONDecoder().decode(Accepted.self, from: data) { return a }
        throw refusal(path, status, data)
    }

    func refusal(_ what: String, _ status: Int, _ data: Data) -> HubRequestError {
        HubRequestError(status: status, description: "\(what) refused (\(status)): \(HubLink.reason(data))")
    }

    func encode(_ value: some Encodable) throws(HubRequestError) -> Data {
        do { return try JSONEncoder().encode(value) } catch { throw HubRequestError(status: nil, description: "cannot encode the request: \(error)") }
    }

    /// Retry-After in seconds (delta form; an HTTP date is read too).
    public static func retryAfter(_ value: String?) -> Double? {
        guard let value else { return nil }
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        return httpDate(value).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func httpDate(_ value: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: value)
    }

    /// One request: body gzip'd, the answer read whole (bounded), the hub's Date kept.
    func send(_ method: String, _ path: String, body: Data?) async throws(HubRequestError) -> (Int, Data, HubDate?) {
        var request = HTTPClientRequest(url: url + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "User-Agent", value: "stationd")
        if let credential { request.headers.add(name: "Authorization", value: "Bearer \(credential)") }
        if let body {
            var plain = ByteBuffer(bytes: body)
            do {
                request.body = .bytes(try plain.compress(with: .gzip()))
            } catch {
                throw HubRequestError(status: nil, description: "cannot compress the request: \(error)")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Content-Encoding", value: "gzip")
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            let status = Int(response.status.code)
            let date = response.headers.first(name: "Date").flatMap(Self.httpDate).map {
                HubDate(hubMillis: Int64($0.timeIntervalSince1970 * 1000), localWallMillis: SystemClock.wallMillis(), monotonicMicros: SystemClock.monotonicMicros())
            }
            if status == 429 || status == 503 {
                throw HubRequestError(status: status, description: "the hub is busy (\(status)): \(HubLink.reason(data))", retryAfter: Self.retryAfter(response.headers.first(name: "Retry-After")))
            }
            return (status, data, date)
        } catch let failure as HubRequestError {
            throw failure
        } catch {
            throw HubRequestError(status: nil, description: "hub unreachable: \(Self.plain(error, url: url))")
        }
    }

    /// A network or TLS failure as a site manager can act on it: what went wrong and what
    /// to do, never a TLS library's error text with its build paths.
    static func plain(_ error: any Error, url: String) -> String {
        let text = String(describing: error)
        let host = URL(string: url)?.host ?? url
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("unable to get local issuer") || text.contains("self signed") || text.contains("self-signed") {
            return "the hub's certificate is not trusted by this box: give the CA that signed it (stationctl enroll --ca-file FILE, or [hub] ca_file in the config)"
        }
        if text.contains("hostname") || text.contains("HOSTNAME") || text.contains("unableToValidateCertificate") {
            return "the hub's certificate is not for \(host): use the name the certificate was made for"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("handshakeFailed") || text.contains("SSL") || text.contains("TLS") {
            return "no TLS handshake with \(host): is it HTTPS there (and not plain HTTP)?"
        }
        if text.contains("connectTimeout") || text.contains("readTimeout") || text.contains("deadlineExceeded") || text.contains("timed out") {
            return "no answer from \(host) in time"
        }
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("ECONNREFUSED") {
            return "\(host) refused the connection: is stationhub running there, on that port?"
        }
        if text.contains("nodename nor servname") || text.contains("Name or service not known") || text.contains("getaddrinfo") || text.contains("EAI_") {
            return "\(host) cannot be found (DNS): check the hub's address and the box's network"
        }
        if text.contains("Network is unreachable") || text.contains("ENETUNREACH") || text.contains("No route") { return "no network route to \(host)" }
        return "the connection to \(host) failed (\(String(describing: type(of: error))))"
    }
}
