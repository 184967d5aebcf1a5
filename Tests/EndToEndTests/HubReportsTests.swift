import Foundation
import StationTesting
import XCTest

/// The operators' reports and recommendations on a small union whose every figure is
/// worked out by hand below, through the API (JSON and CSV) and `stationhub report`; on
/// SQLite and, in make test's second run, on PostgreSQL.
final class HubReportsTests: XCTestCase {
    var hub: HubProcess!
    var operatorToken = ""
    var credentials: [String: String] = [:]

    static func ms(_ iso: String) -> Int64 {
        Int64(ISO8601DateFormatter().date(from: iso)!.timeIntervalSince1970 * 1000)
    }

    /// One event; `at` is `MM-DDTHH:MM` in 2026, UTC, on a synchronised clock.
    static func event(
        _ box: String, _ site: String, _ seq: Int, _ at: String, _ kind: String, item: String? = nil, worker: String? = nil, due: String? = nil,
        service: String? = nil, refersTo: Int? = nil
    ) -> String {
        var draft = [#""kind":"\#(kind)""#, #""flags":[]"#]
        if let item { draft.append(#""item":{"key":"\#(item)"}"#) }
        if let worker { draft.append(#""worker":{"kind":"member-card","localHash":"\#(TestWorkers.localHash(worker))","masked":"****"}"#) }
        if let due { draft.append(#""dueDate":"\#(due)""#) }
        if let service { draft.append(#""service":"\#(service)""#) }
        if let refersTo { draft.append(#""refersTo":\#(refersTo)"#) }
        let wall = ms("2026-\(at):00Z")
        return #"{"boxID":"\#(box)","seq":\#(seq),"siteID":"\#(site)","epoch":0,"time":{"wallMillis":\#(wall),"synchronized":true,"bootID":"b","monotonicMicros":\#(seq)},"draft":{\#(draft.joined(separator: ","))}}"#
    }

    func upload(_ box: String, _ events: [String]) throws {
        let r = try hub.post("/v1/batches", body: #"{"box_id":"\#(box)","events":[\#(events.joined(separator: ","))]}"#, credential: credentials[box])
        XCTAssertEqual(r.status, 200, r.text)
    }

    override func setUpWithError() throws {
        hub = try HubProcess(label: "reports")
        for (site, region) in [("shelf-a", "north"), ("shelf-b", "north"), ("shelf-c", "south"), ("hut-a", "north")] {
            try hub.admin(["site", "add", site, "--region", region])
        }
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try """
            item_key,title,home_site
            label:A1,Red Sorghum,shelf-a
            label:A2,Red Sorghum,shelf-a
            label:B1,Fortress Besieged,shelf-b
            label:C1,"Border Town, a novella",shelf-c
            label:D1,Rickshaw Boy,shelf-b

            """.write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        operatorToken = String(repeating: "0123456789abcdef", count: 3)
        let tokenFile = hub.directory.appendingPathComponent("operator-token").path
        try operatorToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try hub.start(arguments: ["--operator-token-file", tokenFile])
        for (box, site) in [("box-a", "shelf-a"), ("box-b", "shelf-b"), ("box-c", "shelf-c"), ("box-h", "hut-a"), ("box-e", "shelf-c")] {
            let token = try XCTUnwrap(try hub.admin(["box", "add", box, "--site", site]).first)
            credentials[box] = try XCTUnwrap(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).body["credential"] as? String)
        }
        try hub.admin(["box", "add", "box-q", "--site", "shelf-b"])  // never enrolled

        try upload("box-a", [
            Self.event("box-a", "shelf-a", 1, "10-05T10:00", "checkout", item: "label:A1", worker: "w1", due: "2026-10-19"),
            Self.event("box-a", "shelf-a", 2, "10-05T10:01", "checkout", item: "label:D1", worker: "w1", due: "2026-10-19"),
            Self.event("box-a", "shelf-a", 3, "10-06T11:00", "checkout", item: "label:A2", worker: "w2", due: "2026-10-20"),
            Self.event("box-a", "shelf-a", 4, "10-10T09:00", "return", item: "label:D1"),
            Self.event("box-a", "shelf-a", 5, "10-11T09:00", "checkout", item: "label:D1", worker: "w2", due: "2026-10-25"),
            Self.event("box-a", "shelf-a", 6, "10-12T09:00", "checkout", item: "label:C1", worker: "w3", due: "2026-10-26"),
            Self.event("box-a", "shelf-a", 7, "10-12T09:01", "void", refersTo: 6),
            Self.event("box-a", "shelf-a", 8, "11-02T10:00", "checkout", item: "label:B1", worker: "w1", due: "2026-11-16"),
            #"{"seq":9,"what":"garbage"}"#,
        ])
        try upload("box-b", [
            Self.event("box-b", "shelf-b", 1, "10-15T10:00", "return", item: "label:A1"),
            Self.event("box-b", "shelf-b", 2, "10-16T10:00", "checkout", item: "label:A1", worker: "w9", due: "2026-10-30"),
            Self.event("box-b", "shelf-b", 3, "10-28T10:00", "return", item: "label:D1"),
        ])
        try upload("box-c", [Self.event("box-c", "shelf-c", 1, "10-03T10:00", "checkout", item: "label:C1", worker: "w5", due: "2026-10-17")])
        var visits: [String] = []
        for i in 1...3 {  // three lactation visits in October: too few to show
            visits.append(Self.event("box-h", "hut-a", 2 * i - 1, "10-0\(i)T09:00", "visit-start", worker: "m\(i)", service: "lactation"))
            visits.append(Self.event("box-h", "hut-a", 2 * i, "10-0\(i)T09:15", "visit-end", worker: "m\(i)", service: "lactation"))
        }
        visits.append(Self.event("box-h", "hut-a", 7, "10-07T10:00", "visit-start", worker: "m4", service: "childcare"))
        visits.append(Self.event("box-h", "hut-a", 8, "10-07T10:30", "visit-end", worker: "m4", service: "childcare"))
        // One across the month's end (UTC): October's, whole.
        visits.append(Self.event("box-h", "hut-a", 19, "10-31T23:50", "visit-start", worker: "m1", service: "lactation"))
        visits.append(Self.event("box-h", "hut-a", 20, "11-01T00:10", "visit-end", worker: "m1", service: "lactation"))
        for i in 1...5 {  // five in November, 20 minutes each
            visits.append(Self.event("box-h", "hut-a", 8 + 2 * i - 1, "11-0\(i)T09:00", "visit-start", worker: "m\(i)", service: "lactation"))
            visits.append(Self.event("box-h", "hut-a", 8 + 2 * i, "11-0\(i)T09:20", "visit-end", worker: "m\(i)", service: "lactation"))
        }
        try upload("box-h", visits)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let log = #"{"lines":[{"id":1,"at_ms":\#(now),"level":"error","scanner_id":null,"message":"the journal's disk is full"}]}"#
        XCTAssertEqual(try hub.post("/v1/device-log", body: log, credential: credentials["box-e"]).status, 200)
        try hub.query("UPDATE box SET last_seen_ms = 1000 WHERE id = 'box-c'")  // last heard from long ago
    }

    override func tearDown() { hub.stop() }

    /// A report through the API as JSON: its rows, columns joined by `|`.
    func report(_ name: String, _ query: String = "") throws -> [String] {
        // (Reports as of now take no period: the hub refuses one rather than ignore it.)
        let period = ["overdue", "quiet-boxes", "quarantine"].contains(name) ? "limit=20" : "from=2026-10-01&to=2026-12-01"
        let r = try hub.request("GET", "/v1/reports/\(name)?\(period)\(query)", credential: operatorToken)
        XCTAssertEqual(r.status, 200, r.text)
        let columns = try XCTUnwrap(r.body["columns"] as? [String], r.text)
        let rows = try XCTUnwrap(r.body["rows"] as? [[String: Any]], r.text)
        return rows.map { row in
            columns.map { c in
                switch row[c] {
                case let n as NSNumber where c == "average_minutes": String(format: "%.1f", n.doubleValue)
                case let n as NSNumber: "\(n.int64Value)"
                case let s as String: s
                default: "-"
                }
            }.joined(separator: "|")
        }
    }

    func testEachReportAddsUpToTheFiguresWorkedOutByHand() throws {
        XCTAssertEqual(try report("lending"), [
            "shelf-a|2026-10|4|2|1",  // the voided check-out of C1 counts nowhere
            "shelf-a|2026-11|1|1|0",
            "shelf-b|2026-10|1|1|2",
            "shelf-c|2026-10|1|1|0",
        ])
        XCTAssertEqual(try report("drift"), ["shelf-a|shelf-b|2"])
        XCTAssertEqual(try report("overdue").map { $0.components(separatedBy: "|").dropLast().joined(separator: "|") }, [
            "label:C1|Border Town, a novella|shelf-c|2026-10-17",
            "label:A2|Red Sorghum|shelf-a|2026-10-20",
            "label:A1|Red Sorghum|shelf-b|2026-10-30",
            "label:B1|Fortress Besieged|shelf-a|2026-11-16",
        ])
        XCTAssertEqual(try report("overdue").map { $0.components(separatedBy: "|").last! }, [("box-c", "w5"), ("box-a", "w2"), ("box-b", "w9"), ("box-a", "w1")].map { "\($0)/\(TestWorkers.localHash($1))" })
        XCTAssertEqual(try report("most-borrowed"), [
            "north|1|Red Sorghum|3|3",  // two copies, one title
            "north|2|Rickshaw Boy|2|2",
            "north|3|Fortress Besieged|1|1",
            "south|1|Border Town, a novella|1|1",
        ])
        XCTAssertEqual(try report("most-borrowed", "&region=north&limit=1"), ["north|1|Red Sorghum|3|3"])
        XCTAssertEqual(try report("visits"), [
            "hut-a|childcare|2026-10|1|30|30.0|30",
            "hut-a|lactation|2026-10|-|-|-|-",  // 4 visits: withheld
            "hut-a|lactation|2026-11|5|100|20.0|20",
        ])
        // When visits start, in the hub's zone (Asia/Shanghai, 8 hours ahead of the UTC
        // times above); every lactation cell here holds fewer than 5 visits: withheld.
        XCTAssertEqual(try report("visit-hours"), [
            "childcare|3|18|1",  // Wednesday 10-07, 10:00 UTC
            "lactation|1|17|-", "lactation|2|17|-", "lactation|3|17|-",
            "lactation|4|17|-",  // Thursdays 10-01 and 11-05: two
            "lactation|5|17|-", "lactation|6|17|-",
            "lactation|7|7|-",  // 10-31 23:50 UTC is Sunday 11-01, 07:50
            "lactation|7|17|-",
        ])
        XCTAssertEqual(try report("quiet-boxes").map { $0.components(separatedBy: "|") }.map { [$0[0], $0[1], $0[3], $0[4]].joined(separator: "|") }, [
            "box-q|shelf-b|0|not enrolled",
            "box-c|shelf-c|0|not seen for a day",
            "box-e|shelf-c|1|errors",
        ])
        let quarantine = try report("quarantine")
        XCTAssertEqual(quarantine.count, 1)
        XCTAssertTrue(quarantine.first?.contains("|box-a|9|not an event this hub understands") ?? false, "\(quarantine)")
    }

    func testRecommendationsAndRestockAreComputedByTheDatabase() throws {
        XCTAssertEqual(try report("also-borrowed"), [
            "Fortress Besieged|1|Red Sorghum|1",
            "Fortress Besieged|2|Rickshaw Boy|1",
            "Red Sorghum|1|Rickshaw Boy|2",
            "Red Sorghum|2|Fortress Besieged|1",
            "Rickshaw Boy|1|Red Sorghum|2",
            "Rickshaw Boy|2|Fortress Besieged|1",
        ])
        XCTAssertEqual(try report("also-borrowed", "&item=label:D1"), ["Rickshaw Boy|1|Red Sorghum|2", "Rickshaw Boy|2|Fortress Besieged|1"])
        XCTAssertEqual(try report("restock", "&site=shelf-c"), ["Red Sorghum|3|3|2", "Rickshaw Boy|2|2|1", "Fortress Besieged|1|1|1"])
        XCTAssertEqual(try report("restock", "&site=shelf-b"), ["Border Town, a novella|1|1|1"])
        let noSite = try hub.request("GET", "/v1/reports/restock", credential: operatorToken)
        XCTAssertEqual(noSite.status, 400, noSite.text)
    }

    func testTheCommandAndTheAPIGiveTheSameCSV() throws {
        for (name, query, args) in [
            ("lending", "", [String]()), ("visits", "", []), ("restock", "&site=shelf-c", ["--site", "shelf-c"]), ("also-borrowed", "&item=label:D1", ["--item", "label:D1"]),
        ] {
            let api = try hub.request("GET", "/v1/reports/\(name)?from=2026-10-01&to=2026-12-01&format=csv\(query)", credential: operatorToken)
            XCTAssertEqual(api.status, 200, api.text)
            let file = hub.directory.appendingPathComponent("\(name).csv").path
            try hub.admin(["report", name, "--from", "2026-10-01", "--to", "2026-12-01", "--format", "csv", "--out", file] + args)
            let cli = try String(contentsOfFile: file, encoding: .utf8)
            XCTAssertEqual(
                cli.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .newlines),
                api.text.replacingOccurrences(of: "\r", with: "").trimmingCharacters(in: .newlines), name)
            let table = try CSVTableReader.rows(cli)
            XCTAssertGreaterThan(table.count, 1, name)
            XCTAssertTrue(table.allSatisfy { $0.count == table[0].count }, "\(name): \(table)")
        }
        // --out a pipe: written through, not renamed over (as it would be a regular file).
        let fifo = hub.directory.appendingPathComponent("report.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let reader = try ChildProcess(["cat", fifo])
        try hub.admin(["report", "lending", "--format", "csv", "--out", fifo])
        XCTAssertEqual(reader.wait(timeout: 20), 0)
        XCTAssertEqual(reader.lines.first?.trimmingCharacters(in: .whitespacesAndNewlines), "site,month,loans,borrowers,returns")
        var info = stat()
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the pipe is still a pipe")
        // The title with a comma comes back as one field.
        let restock = try CSVTableReader.rows(try String(contentsOfFile: hub.directory.appendingPathComponent("restock.csv").path, encoding: .utf8))
        XCTAssertEqual(restock[0], ["title", "loans_elsewhere", "borrowers", "sites"])
        let text = try hub.admin(["report", "most-borrowed", "--from", "2026-10-01", "--region", "south"])
        XCTAssertEqual(text.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init), ["region", "rank", "title", "loans", "borrowers"])
        XCTAssertEqual(text.count, 2, text.joined(separator: "\n"))
    }

    func testReportsAreForOperatorsOnly() throws {
        XCTAssertEqual(try hub.request("GET", "/v1/reports/lending").status, 401)
        XCTAssertEqual(try hub.request("GET", "/v1/reports/lending", credential: credentials["box-a"]).status, 401, "a box's credential is not the operator's")
        XCTAssertEqual(try hub.request("GET", "/v1/reports/nonsense", credential: operatorToken).status, 404)
        XCTAssertEqual(try hub.request("GET", "/v1/reports/lending?from=2026-13-01", credential: operatorToken).status, 400)
        let list = try hub.request("GET", "/v1/reports", credential: operatorToken)
        XCTAssertEqual((list.body["reports"] as? [[String: Any]])?.count, 15, list.text)
    }
}

extension HubReportsTests {
    /// The value of one sample line of a Prometheus exposition.
    func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    func testMetricsCountBatchesEventsAndShowEachBoxsLastContact() throws {
        XCTAssertEqual(try hub.request("GET", "/metrics").status, 401)
        let r = try hub.request("GET", "/metrics", credential: operatorToken)
        XCTAssertEqual(r.status, 200, r.text)
        // Four batches (box-a's with its garbage event set aside): 8 + 3 + 1 + 20 events applied.
        XCTAssertEqual(sample(r.text, #"stationhub_batches_total{result="applied"}"#), 4, r.text)
        XCTAssertEqual(sample(r.text, #"stationhub_events_total{result="applied"}"#), 32, r.text)
        XCTAssertEqual(sample(r.text, #"stationhub_events_total{result="quarantined"}"#), 1, r.text)
        XCTAssertEqual(sample(r.text, "stationhub_quarantined_events"), 1, r.text)
        XCTAssertEqual(sample(r.text, "stationhub_batch_duration_seconds_count"), 4, r.text)
        XCTAssertEqual(sample(r.text, #"stationhub_box_last_contact_timestamp_seconds{box="box-c",site="shelf-c"}"#), 1, r.text)
        let now = Date().timeIntervalSince1970
        let lastA = try XCTUnwrap(sample(r.text, #"stationhub_box_last_contact_timestamp_seconds{box="box-a",site="shelf-a"}"#), r.text)
        XCTAssertLessThan(abs(lastA - now), 120)
        // box-h's oldest event of its batch was recorded on 10-01: weeks of lag.
        let lag = try XCTUnwrap(sample(r.text, #"stationhub_site_sync_lag_seconds{site="hut-a"}"#), r.text)
        XCTAssertEqual(lag, now - Double(Self.ms("2026-10-01T09:00:00Z")) / 1000, accuracy: 120)
        // A refused batch is counted as such.
        XCTAssertEqual(try hub.post("/v1/batches", body: #"{"box_id":"box-b","events":[]}"#, credential: credentials["box-a"]).status, 400)
        let after = try hub.request("GET", "/metrics", credential: operatorToken).text
        XCTAssertEqual(sample(after, #"stationhub_batches_total{result="refused"}"#), 1, after)
    }

    /// Everything the hub's database holds, as text (SQLite files or pg_dump).
    func everything() throws -> String { String(decoding: try hub.rawContents(), as: UTF8.self) }

    func testErasingAWorkerLeavesEveryReportAddingUp() throws {
        let before = try ["lending", "most-borrowed", "also-borrowed", "drift", "visits"].map { try report($0) }
        let w1 = TestWorkers.localHash("w1")
        XCTAssertTrue(try everything().contains(w1))
        let out = try hub.admin(["erase", "box-a/\(w1)", "--reference", "REQ-2026-117", "--operator", "ops-li"])
        XCTAssertEqual(out, ["erased (REQ-2026-117, by ops-li): 3 events, 1 book records, 0 visits no longer name this worker"])
        XCTAssertEqual(try ["lending", "most-borrowed", "also-borrowed", "drift", "visits"].map { try report($0) }, before, "the same figures")
        let overdue = try report("overdue")
        XCTAssertTrue(overdue.last?.hasPrefix("label:B1|") ?? false, "\(overdue)")
        XCTAssertTrue(overdue.last?.contains("|erased:") ?? false, "B1's borrower is no one now: \(overdue)")
        hub.stop()  // (SQLite: the write-ahead log checkpointed into the file)
        let text = try everything()
        // (SQLite: the files themselves; PostgreSQL: every live row, as pg_dump gives them.)
        XCTAssertFalse(text.contains(w1), "the worker's key is nowhere in the database: \(text.components(separatedBy: w1).dropLast().map { String($0.suffix(120)) })")
        XCTAssertTrue(text.contains(TestWorkers.localHash("w2")), "other workers are untouched")
        let log = try hub.query("SELECT reference, operator, events, books, visits FROM erasure_log")
        XCTAssertEqual(log, ["REQ-2026-117|ops-li|3|1|0"])
        XCTAssertFalse(try hub.query("SELECT * FROM erasure_log").joined().contains("w1"), "the log does not name the worker")
        // Erasing what names no one is refused.
        let again = try ChildProcess([ProjectPaths.executable("stationhub"), "erase", "erased:x", "--reference", "R", "--operator", "o", "--database", hub.database])
        XCTAssertEqual(again.wait(timeout: 30), 1)
    }

    func testRetentionDeIdentifiesWhatOutlivedItsPeriodAndKeepsTheCounts() throws {
        let before = try ["lending", "visits", "most-borrowed"].map { try report($0) }
        try hub.admin(["retention", "set", "visit:lactation", "30"])
        try hub.admin(["retention", "set", "checkout", "30"])
        try hub.admin(["retention", "set", "quarantine", "1"])
        XCTAssertEqual(
            try hub.admin(["retention", "show"]),
            [
                "checkout\t30 days", "renewal\tnot set: kept until erased", "return\tnot set: kept until erased", "void\tnot set: kept until erased",
                "visit\tnot set: kept until erased", "quarantine\t1 days", "visit:lactation\t30 days",
            ])
        let bad = try ChildProcess([ProjectPaths.executable("stationhub"), "retention", "set", "visit-start", "3", "--database", hub.database])
        XCTAssertEqual(bad.wait(timeout: 30), 1)
        XCTAssertTrue(bad.standardError.contains("checkout, renewal, return, void, visit, visit:SERVICE or quarantine"), bad.standardError)

        // As of 2026-12-05, 30-day periods end on 11-05 and cut at the start of November:
        // October's lactation visits (four, one ending on 11-01: eight events) and its
        // check-outs (seven, one of them voided) lose their worker; the quarantined event
        // (set aside on 11-20) goes.
        try hub.query("UPDATE quarantine SET received_ms = \(Self.ms("2026-11-20T00:00:00Z"))")
        let applied = try hub.admin(["retention", "apply", "--now", "2026-12-05"])
        XCTAssertEqual(applied.sorted(), ["retention checkout: 7 records de-identified", "retention quarantine: 1 records deleted", "retention visit:lactation: 8 records de-identified"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE kind IN ('visit-start', 'visit-end') AND worker_key LIKE 'expired:%'"), ["8"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM ledger_visit WHERE worker LIKE 'expired:%'"), ["4"], "the visit across the month's end is still one visit")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE service = 'lactation' AND worker_key NOT LIKE 'expired:%'"), ["10"], "November's are kept")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE service = 'childcare' AND worker_key LIKE 'expired:%'"), ["0"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE kind = 'checkout' AND worker_key NOT LIKE 'expired:%'"), ["1"], "B1's, 11-02")
        XCTAssertEqual(try ["lending", "visits", "most-borrowed"].map { try report($0) }, before, "loans, borrowers and visits still add up")
        XCTAssertEqual(try report("overdue").map { $0.components(separatedBy: "|").last!.hasPrefix("expired:") }, [true, true, true, false])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
        // A second run finds nothing new.
        XCTAssertEqual(try hub.admin(["retention", "apply", "--now", "2026-12-05"]).sorted(), [
            "retention checkout: 0 records de-identified", "retention quarantine: 0 records deleted", "retention visit:lactation: 0 records de-identified",
        ])
    }
}

/// RFC 4180 rows, read by Python's csv module (not Station's code).
enum CSVTableReader {
    static func rows(_ text: String) throws -> [[String]] {
        let c = try ChildProcess(["python3", "-c", "import csv,sys,json\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", try file(text)])
        guard c.wait(timeout: 20) == 0, let data = c.lines.first?.data(using: .utf8) else { throw ChildProcess.ProcessError(description: c.standardError) }
        return try JSONDecoder().decode([[String]].self, from: data)
    }

    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "station-csv-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
