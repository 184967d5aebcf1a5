import Foundation

/// `stationhub.toml`: the hub's settings in one place, so that every `stationhub` command
/// of an operator (and the unit) finds the same database, keys and listener. A command's
/// own flag wins over the environment (`STATIONHUB_DATABASE`), which wins over this file.
public struct HubConfig: Sendable, Equatable {
    /// `[database] url`: a SQLite file or a PostgreSQL URL.
    public var database: String?
    /// `[database] wait_seconds`: PostgreSQL, how long a request waits for a connection.
    public var databaseWaitSeconds: Int?
    /// `[keys] dir`: the key directory `stationhub keygen` wrote.
    public var keysDirectory: String?
    /// `[serve]`: where and how the API listens.
    public var listen: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var operatorTokenFile: String?
    public var retentionEverySeconds: Int?
    /// `[hub] time_zone`: the zone operators' times are shown in (Asia/Shanghai).
    public var timeZone: String?

    public init() {}

    /// Where the file is looked for when no `--config` names one (`STATIONHUB_CONFIG` first).
    public static let defaultPath = "/etc/stationhub/stationhub.toml"

    static let schema: TOMLDocument.Schema = [
        "hub": ["time_zone": "string"],
        "database": ["url": "string", "wait_seconds": "int"],
        "keys": ["dir": "string"],
        "serve": ["listen": "string", "tls_cert": "string", "tls_key": "string", "operator_token_file": "string", "retention_every_seconds": "int"],
    ]

    public static func load(path: String) -> Result<HubConfig, ConfigProblems> {
        TOMLDocument.text(path: path).flatMap { parse($0, file: path) }
    }

    public static func parse(_ text: String, file: String) -> Result<HubConfig, ConfigProblems> {
        let document: TOMLDocument
        switch TOMLDocument.parse(text, file: file, schema: schema) {
        case .success(let d): document = d
        case .failure(let problems): return .failure(problems)
        }
        let r = document.reader
        var c = HubConfig()
        c.database = r.string("database", "url")
        if c.database?.isEmpty == true { document.fail("database.url", "must name a SQLite file or a postgres:// URL") }
        if r.int("database", "wait_seconds") != nil { c.databaseWaitSeconds = r.positive("database", "wait_seconds", 30, 1...600) }
        c.keysDirectory = r.string("keys", "dir")
        c.timeZone = r.string("hub", "time_zone")
        if let zone = c.timeZone, TimeZone(identifier: zone) == nil { document.fail("hub.time_zone", "unknown time zone \(zone)") }
        c.listen = r.string("serve", "listen")
        c.tlsCertificate = r.string("serve", "tls_cert")
        c.tlsKey = r.string("serve", "tls_key")
        if (c.tlsCertificate == nil) != (c.tlsKey == nil) { document.fail("serve", "tls_cert and tls_key go together") }
        c.operatorTokenFile = r.string("serve", "operator_token_file")
        if r.int("serve", "retention_every_seconds") != nil { c.retentionEverySeconds = r.positive("serve", "retention_every_seconds", 3600, 0...86_400 * 7) }
        guard document.problems.list.isEmpty else { return .failure(ConfigProblems(document.problems.list)) }
        return .success(c)
    }
}
