import Foundation

/// An application the union lets place requests (its own credential, a scope, the
/// address its webhook is called at); never its token, which only its hash is kept of.
public struct ClientRecord: Sendable, Equatable, Codable {
    public var name: String
    public var scope: [String]
    public var notifyURL: String?
    public var createdMillis: Int64
    public var revokedMillis: Int64?

    enum CodingKeys: String, CodingKey { case name, scope, notifyURL = "notify_url", createdMillis = "created_ms", revokedMillis = "revoked_ms" }
}

/// API clients: added with a scope and a token shown once, listed, revoked; a bearer token
/// is found by its hash.
extension HubStore {
    /// What a client may be given: `requests` (place, read and cancel its own requests;
    /// search the catalog's holdings).
    public static let clientScopes: Set<String> = ["requests"]

    /// Adds a client; answers its token (shown once).
    public func addClient(_ name: String, scope: [String], notifyURL: String?, by actor: Actor = .process) async throws -> String {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), !["operator", "cli", "rotation"].contains(name) else {
            throw HubError(.invalid, "a client's name is 1 to 64 letters, digits, '-', '_' or '.' (not operator, cli or rotation)", code: "invalid-name")
        }
        let unknown = Set(scope).subtracting(Self.clientScopes)
        guard !scope.isEmpty, unknown.isEmpty else {
            throw HubError(.invalid, "scope \(unknown.sorted().joined(separator: ", ")): a client's scopes are \(Self.clientScopes.sorted().joined(separator: ", "))", code: "invalid-scope")
        }
        if let url = notifyURL {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw HubError(.invalid, "--notify-url \(url): an http:// or https:// address", code: "invalid-url")
            }
        }
        let token = "sc_" + HubIngest.randomSecret()
        try await engine.transaction { s in
            guard try await s.rows("SELECT 1 FROM api_client WHERE name = ?", [.text(name)]).isEmpty else {
                throw HubError(.conflict, "client \(name) exists: revoke it first, or choose another name", code: "client-exists")
            }
            try await s.execute(
                "INSERT INTO api_client (name, token_hash, scope, notify_url, created_ms) VALUES (?, ?, ?, ?, ?)",
                [.text(name), .text(HubIngest.hash(token)), .text(scope.sorted().joined(separator: ",")), SQLValue(notifyURL), .int(HubIngest.nowMillis())])
            try await Self.audit(s, actor, "client.add", name, scope.sorted().joined(separator: ","))
        }
        return token
    }

    public func clients() async throws -> [ClientRecord] {
        try await engine.read(SQLStatement("SELECT name, scope, notify_url, created_ms, revoked_ms FROM api_client ORDER BY name")).compactMap { r in
            guard let name = r[0].text else { return nil }
            return ClientRecord(name: name, scope: (r[1].text ?? "").split(separator: ",").map(String.init), notifyURL: r[2].text, createdMillis: r[3].int ?? 0, revokedMillis: r[4].int)
        }
    }

    public func revokeClient(_ name: String, by actor: Actor = .process) async throws {
        try await engine.transaction { s in
            guard try await s.value("UPDATE api_client SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL RETURNING name", [.int(HubIngest.nowMillis()), .text(name)]) != nil else {
                throw HubError(.notFound, "no client \(name) that is not revoked", code: "no-client")
            }
            try await Self.audit(s, actor, "client.revoke", name)
        }
    }

    /// The client a bearer token belongs to, if it holds `scope` and is not revoked.
    public func client(token: String, scope: String) async throws -> String? {
        guard let r = try await engine.read(
            SQLStatement("SELECT name, scope FROM api_client WHERE token_hash = ? AND revoked_ms IS NULL", [.text(HubIngest.hash(token))])).first,
            let name = r[0].text
        else { return nil }
        guard (r[1].text ?? "").split(separator: ",").contains(Substring(scope)) else {
            throw HubError(.forbidden, "client \(name) has no \(scope) scope", code: "out-of-scope")
        }
        return name
    }
}

/// One change of a request, as its client's webhook is told it: the request, its state and
/// pickup site, never who asked.
public struct RequestNotice: Sendable, Equatable, Codable {
    public var id: Int64
    public var request: String
    public var state: String
    public var pickupSite: String
    public var atMillis: Int64
    public var url: String
    public var attempts: Int

    enum CodingKeys: String, CodingKey { case id, request, state, pickupSite = "pickup_site", atMillis = "at_ms", url, attempts }
}

extension HubStore {
    /// Notices due now, claimed for `leaseMillis` (another hub instance skips them meanwhile;
    /// one not confirmed in time is due again), oldest first.
    public func claimNotices(nowMillis: Int64 = HubIngest.nowMillis(), leaseMillis: Int64 = 60_000, limit: Int = 50) async throws -> [RequestNotice] {
        try await engine.transaction { s in
            let due = try await s.rows(
                """
                SELECT n.id, n.request_id, n.state, n.pickup_site, n.at_ms, c.notify_url, n.attempts FROM request_notice n
                JOIN api_client c ON c.name = n.client
                WHERE n.delivered_ms IS NULL AND n.next_ms <= ? AND c.notify_url IS NOT NULL AND c.revoked_ms IS NULL
                ORDER BY n.id LIMIT ?\(self.dialect == .postgres ? " FOR UPDATE OF n SKIP LOCKED" : "")
                """, [.int(nowMillis), .int(Int64(limit))]
            ).compactMap { r -> RequestNotice? in
                guard let id = r[0].int, let request = r[1].text, let state = r[2].text, let site = r[3].text, let url = r[5].text else { return nil }
                return RequestNotice(id: id, request: request, state: state, pickupSite: site, atMillis: r[4].int ?? 0, url: url, attempts: Int(r[6].int ?? 0))
            }
            for n in due { try await s.execute("UPDATE request_notice SET next_ms = ? WHERE id = ?", [.int(nowMillis + leaseMillis), .int(n.id)]) }
            return due
        }
    }

    /// A notice the webhook took (`delivered`), or one to try again later: after 10 s, then
    /// twice as long each time, at most an hour apart.
    public func settleNotice(_ id: Int64, delivered: Bool, nowMillis: Int64 = HubIngest.nowMillis()) async throws {
        try await engine.transaction { s in
            if delivered {
                try await s.execute("UPDATE request_notice SET delivered_ms = ? WHERE id = ?", [.int(nowMillis), .int(id)])
            } else {
                let attempts = try await s.value("UPDATE request_notice SET attempts = attempts + 1 WHERE id = ? RETURNING attempts", [.int(id)])?.int ?? 1
                let wait: Int64 = min(3_600_000, 10_000 << min(attempts - 1, 20))
                try await s.execute("UPDATE request_notice SET next_ms = ? WHERE id = ?", [.int(nowMillis + wait), .int(id)])
            }
        }
    }
}
