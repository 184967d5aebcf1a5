import Foundation
import HummingbirdBcrypt
import NIOPosix

/// A console account as `stationhub operator list` shows it (never its password's hash).
public struct OperatorRecord: Sendable, Equatable, Codable {
    public var name: String
    public var role: String
    public var language: String
    public var createdMillis: Int64
    public var disabledMillis: Int64?
}

/// A live console session: who, in which scope, speaking which language, and the token
/// every form it posts must carry.
public struct ConsoleSession: Sendable, Equatable {
    public var operatorName: String
    public var role: ConsoleRole
    public var language: String
    public var csrf: String
}

/// Console accounts, their sessions and the pacing of failed logins, written once for
/// both engines; every change to an account is in the audit log.
extension HubStore {
    /// bcrypt's work factor for new passwords (2^12 rounds: about a quarter of a second).
    public static let passwordCost = 12

    /// The languages the console speaks.
    public static let consoleLanguages = ["zh", "en"]

    /// Hashes off Swift's cooperative threads (bcrypt is slow on purpose).
    static func bcrypt(_ password: String, cost: Int) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: UInt8(cost)) }
    }

    /// `hash` nil: the account does not exist, and the password is checked against
    /// ``absentAccountHash`` all the same (made on first use, on the same thread pool).
    static func bcryptVerify(_ password: String, hash: String?) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash ?? absentAccountHash) }
    }

    /// A hash no password matches, verified against when the account does not exist, so
    /// that a wrong name takes as long as a wrong password.
    static let absentAccountHash = Bcrypt.hash(HubIngest.randomSecret(), cost: UInt8(passwordCost))

    /// `stationhub operator add`: an account in a role. A site manager's site must exist;
    /// a region need not have sites yet.
    public func addOperator(_ name: String, role: ConsoleRole, password: String, cost: Int = passwordCost, by actor: Actor = .process) async throws {
        try ConsoleAccess.checkName(name)
        try ConsoleAccess.checkPassword(password, name: name)
        let hash = try await Self.bcrypt(password, cost: cost)
        try await engine.transaction { s in
            if case .site(let site) = role { try await Self.requireSite(s, site) }
            let created = try await s.rows(
                "INSERT INTO operator_account (name, role, scope, password_hash, created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING name",
                [.text(name), .text(role.kind), SQLValue(role.scope), .text(hash), .int(HubIngest.nowMillis())])
            guard !created.isEmpty else { throw HubError(.conflict, "operator \(name) exists: `stationhub operator passwd \(name)` sets a new password") }
            try await Self.audit(s, actor, "operator.add", name, "role=\(role.text)")
        }
    }

    public func operators() async throws -> [OperatorRecord] {
        try await engine.read(SQLStatement("SELECT name, role, scope, language, created_ms, disabled_ms FROM operator_account ORDER BY name")).compactMap { r in
            guard let name = r[0].text, let kind = r[1].text, let role = ConsoleRole(kind: kind, scope: r[2].text) else { return nil }
            return OperatorRecord(name: name, role: role.text, language: r[3].text ?? "zh", createdMillis: r[4].int ?? 0, disabledMillis: r[5].int)
        }
    }

    /// A new password; every session of the account ends.
    public func setOperatorPassword(_ name: String, password: String, cost: Int = passwordCost, by actor: Actor = .process) async throws {
        try ConsoleAccess.checkPassword(password, name: name)
        let hash = try await Self.bcrypt(password, cost: cost)
        try await engine.transaction { s in
            guard try await !s.rows("UPDATE operator_account SET password_hash = ? WHERE name = ? RETURNING name", [.text(hash), .text(name)]).isEmpty else {
                throw HubError(.notFound, "no operator \(name)")
            }
            try await s.execute("DELETE FROM console_session WHERE operator = ?", [.text(name)])
            try await s.execute("DELETE FROM login_failure WHERE key = ?", [.text("account:" + name)])
            try await Self.audit(s, actor, "operator.passwd", name)
        }
    }

    /// Disables an account (its live sessions end at once) or enables it again.
    public func setOperatorDisabled(_ name: String, _ disabled: Bool, by actor: Actor = .process) async throws {
        try await engine.transaction { s in
            guard let row = try await s.rows("SELECT disabled_ms FROM operator_account WHERE name = ?", [.text(name)]).first else {
                throw HubError(.notFound, "no operator \(name)")
            }
            guard (row[0].int != nil) != disabled else { throw HubError(.conflict, "operator \(name) is \(disabled ? "disabled" : "enabled") already") }
            try await s.execute("UPDATE operator_account SET disabled_ms = ? WHERE name = ?", [disabled ? .int(HubIngest.nowMillis()) : .null, .text(name)])
            if disabled { try await s.execute("DELETE FROM console_session WHERE operator = ?", [.text(name)]) }
            try await Self.audit(s, actor, disabled ? "operator.disable" : "operator.enable", name)
        }
    }

    /// The language the console speaks to an account.
    public func setOperatorLanguage(_ name: String, _ language: String) async throws {
        guard Self.consoleLanguages.contains(language) else { throw HubError(.invalid, "language \(language): zh or en") }
        try await engine.transaction { s in
            try await s.execute("UPDATE operator_account SET language = ? WHERE name = ?", [.text(language), .text(name)])
        }
    }

    // MARK: - Logins and sessions

    /// Checks a name and password from `address`; answers a new session's id (to be set as
    /// a cookie; only its hash is stored) and its CSRF token. Failed attempts are counted
    /// per account and per address (``ConsoleAccess/waitMillis(failures:)``); while either
    /// must wait, the attempt is refused before the password is looked at. A wrong name
    /// and a wrong password get one answer.
    public func login(name: String, password: String, address: String, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> (id: String, session: ConsoleSession) {
        let keys = ["account:" + name, "address:" + address]
        let failures = try await engine.read(SQLStatement("SELECT key, failures, last_ms FROM login_failure WHERE key IN (?, ?)", keys.map { .text($0) }))
        let wait = failures.map { ConsoleAccess.remainingWait(failures: $0[1].int ?? 0, lastMillis: $0[2].int ?? 0, nowMillis: nowMillis) }.max() ?? 0
        if wait > 0 {
            throw HubError(.tooManyRequests, "too many failed logins: try again in \((wait + 999) / 1000) s", code: "login-paced")
        }
        let account = try await engine.read(
            SQLStatement("SELECT password_hash, role, scope, language, disabled_ms FROM operator_account WHERE name = ?", [.text(name)])
        ).first
        let matches = try await Self.bcryptVerify(password, hash: account?[0].text)
        guard matches, let account, account[4].int == nil, let kind = account[1].text, let role = ConsoleRole(kind: kind, scope: account[2].text) else {
            try await engine.transaction { s in
                for key in keys {
                    // A failure long ago starts the count again.
                    try await s.execute(
                        """
                        INSERT INTO login_failure (key, failures, last_ms) VALUES (?, 1, ?)
                        ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failure.last_ms < ? THEN 1 ELSE login_failure.failures + 1 END, last_ms = excluded.last_ms
                        """, [.text(key), .int(nowMillis), .int(nowMillis - ConsoleAccess.failureMemoryMillis)])
                }
            }
            throw HubError(.unauthorized, "the name or the password is not right, or the account is disabled", code: "login-refused")
        }
        let id = HubIngest.randomSecret(), csrf = HubIngest.randomSecret()
        let session = ConsoleSession(operatorName: name, role: role, language: account[3].text ?? "zh", csrf: csrf)
        try await engine.transaction { s in
            try await s.execute("DELETE FROM login_failure WHERE key = ?", [.text(keys[0])])
            // Sessions that ended are swept at each login.
            try await s.execute(
                "DELETE FROM console_session WHERE seen_ms < ? OR created_ms < ?",
                [.int(nowMillis - ConsoleAccess.idleMillis), .int(nowMillis - ConsoleAccess.absoluteMillis)])
            try await s.execute(
                "INSERT INTO console_session (id_hash, operator, csrf, created_ms, seen_ms, origin) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(HubIngest.hash(id)), .text(name), .text(csrf), .int(nowMillis), .int(nowMillis), .text(address)])
            try await Self.audit(s, Actor(name: name, origin: "console@\(address)"), "operator.login", name)
        }
        return (id, session)
    }

    /// The live session a cookie names, or nil (unknown, expired, or its account disabled).
    /// Its last use is written at most once a minute.
    public func consoleSession(_ id: String, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> ConsoleSession? {
        let idHash = SQLValue.text(HubIngest.hash(id))
        guard
            let r = try await engine.read(
                SQLStatement(
                    """
                    SELECT s.operator, s.csrf, s.created_ms, s.seen_ms, a.role, a.scope, a.language FROM console_session s
                    JOIN operator_account a ON a.name = s.operator WHERE s.id_hash = ? AND a.disabled_ms IS NULL
                    """, [idHash])
            ).first,
            let name = r[0].text, let csrf = r[1].text, let created = r[2].int, let seen = r[3].int, let kind = r[4].text,
            let role = ConsoleRole(kind: kind, scope: r[5].text)
        else { return nil }
        guard ConsoleAccess.isLive(createdMillis: created, seenMillis: seen, nowMillis: nowMillis) else {
            try await engine.transaction { s in try await s.execute("DELETE FROM console_session WHERE id_hash = ?", [idHash]) }
            return nil
        }
        if nowMillis - seen >= ConsoleAccess.touchEveryMillis {
            try await engine.transaction { s in
                try await s.execute("UPDATE console_session SET seen_ms = ? WHERE id_hash = ? AND seen_ms < ?", [.int(nowMillis), idHash, .int(nowMillis)])
            }
        }
        return ConsoleSession(operatorName: name, role: role, language: r[6].text ?? "zh", csrf: csrf)
    }

    /// Ends a session.
    public func logout(_ id: String, by actor: Actor) async throws {
        try await engine.transaction { s in
            guard try await !s.rows("DELETE FROM console_session WHERE id_hash = ? RETURNING operator", [.text(HubIngest.hash(id))]).isEmpty else { return }
            try await Self.audit(s, actor, "operator.logout", actor.name)
        }
    }
}
