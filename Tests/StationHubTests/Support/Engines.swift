import Foundation
import StationTesting
import XCTest

@testable import StationHub

/// Runs one piece of a test on each engine: SQLite in a temporary file, and PostgreSQL in
/// a fresh database on the server `scripts/with-postgres` started
/// (`STATION_TEST_HUB_DATABASE`). Without that server the PostgreSQL half is skipped,
/// unless `STATION_REQUIRE_POSTGRES=1` (`make test` sets it), where it fails.
enum Engines {
    /// The two engines, for messages and for what differs by design.
    enum Name: String, CaseIterable, Sendable { case sqlite, postgres }

    static var server: String? {
        ProcessInfo.processInfo.environment["STATION_TEST_HUB_DATABASE"].flatMap { $0.hasPrefix("postgres") ? $0 : nil }
    }

    /// `body` on each engine, each on a store of its own; answers what each returned. The
    /// caller compares them: an engine that answers differently fails the test.
    static func each<T: Sendable>(
        _ label: String, file: StaticString = #filePath, line: UInt = #line, _ body: @escaping @Sendable (Name, HubStore) async throws -> T
    ) async throws -> [Name: T] {
        var out: [Name: T] = [:]
        let directory = try ProjectPaths.temporaryDirectory("store-\(label)")
        defer { try? FileManager.default.removeItem(at: directory) }
        out[.sqlite] = try await HubDatabase.with(directory.appendingPathComponent("hub.sqlite").path) { try await body(.sqlite, $0) }
        if let server {
            out[.postgres] = try await HubDatabase.with(try await freshDatabase(server, label: label)) { try await body(.postgres, $0) }
        } else if ProcessInfo.processInfo.environment["STATION_REQUIRE_POSTGRES"] == "1" {
            XCTFail("STATION_REQUIRE_POSTGRES=1 but no STATION_TEST_HUB_DATABASE: run under scripts/with-postgres", file: file, line: line)
        }
        return out
    }

    /// `body` on each engine; fails unless both gave the same answer. Answers SQLite's.
    static func agree<T: Sendable & Equatable>(
        _ label: String, file: StaticString = #filePath, line: UInt = #line, _ body: @escaping @Sendable (Name, HubStore) async throws -> T
    ) async throws -> T {
        let answers = try await each(label, file: file, line: line, body)
        let sqlite = try XCTUnwrap(answers[.sqlite], file: file, line: line)
        if let postgres = answers[.postgres] {
            XCTAssertEqual(sqlite, postgres, "SQLite and PostgreSQL answer differently", file: file, line: line)
        }
        return sqlite
    }

    /// A new database on the server, named after the test.
    static func freshDatabase(_ server: String, label: String) async throws -> String {
        let name = "store_" + String(label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(40)) + "_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try PostgresEngine(url: server)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await admin.service.run() }
            defer { group.cancelAll() }
            _ = try await admin.read(SQLStatement("CREATE DATABASE \(name)"))
        }
        var url = URLComponents(string: server)!
        url.path = "/" + name
        return url.string!
    }
}

extension HubStore {
    /// Rows of a query as `a|b|c` lines (NULL as `-`), for comparing engines and for asserting.
    func dump(_ sql: String, _ arguments: [SQLValue] = []) async throws -> [String] {
        try await engine.read(SQLStatement(sql, arguments)).map { row in row.map { $0.text ?? "-" }.joined(separator: "|") }
    }

    /// The whole ledger, ordered.
    /// The reports read from their aggregates, each beside what the events say when the
    /// two differ (a line per report: "aggregate NAME: CSV"; restock of shelf-b).
    func aggregatesDump(from: String? = nil, to: String? = nil) async throws -> [String] {
        var out: [String] = []
        for name in ["lending", "drift", "most-borrowed", "restock"] {
            var p = Reports.Parameters(from: from, to: to, site: name == "restock" ? "shelf-b" : nil, nowMillis: Events.base)
            let kept = try await report(name, p).csv.replacingOccurrences(of: "\r\n", with: " / ")
            p.fromEvents = true
            let read = try await report(name, p).csv.replacingOccurrences(of: "\r\n", with: " / ")
            out.append("aggregate \(name): \(kept)" + (kept == read ? "" : " but the events say \(read)"))
        }
        return out
    }

    /// The ledger's transits and holds, then the requests' states.
    func transfersDump() async throws -> [String] {
        try await dump(
            "SELECT item_key, transit_from, transit_to, transit_ms, transit_request, hold_site, hold_request, hold_ms FROM ledger_book ORDER BY item_key")
            + dump("SELECT id, state, since_ms, until_ms, at_site, active FROM request ORDER BY id")
    }

    /// Requests as rows of their own (no placement: what their states are computed from).
    func insertRequests(_ requests: [Requests.Request]) async throws {
        try await engine.transaction { s in
            for r in requests {
                try await s.execute(
                    """
                    INSERT INTO request (id, item_key, pickup_site, worker, client, placed_ms, hold_days, cancelled_ms, state, since_ms, active)
                    VALUES (?, ?, ?, ?, 'test', ?, ?, ?, 'placed', ?, 1)
                    """, [.text(r.id), .text(r.itemKey), .text(r.pickupSite), .text(r.worker), .int(r.placedMillis), .int(Int64(r.holdDays)), SQLValue(r.cancelledMillis), .int(r.placedMillis)])
            }
        }
    }

    func ledgerDump() async throws -> [String] {
        try await dump("SELECT item_key, holder, loaned_at_ms, due_date, site_id, flags FROM ledger_book ORDER BY item_key")
            + dump("SELECT site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags FROM ledger_visit ORDER BY site_id, worker, box_id, coalesce(start_seq, -1), coalesce(end_seq, -1)")
    }
}
