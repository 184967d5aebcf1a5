import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// The console through its routes, on both engines: each role sees and changes exactly
/// its scope; sessions, cookies, CSRF, fixation, pacing and disabled accounts.
final class ConsoleRouterTests: XCTestCase {
    static let password = "correct horse battery"
    /// The test union's accounts: one per role.
    static let accounts: [(String, ConsoleRole)] = [("wang", .union), ("li", .region("east")), ("zhao", .site("shelf-a"))]

    /// The test union (shelf-a and shelf-b in east, hut-c in west, a box at each) with one
    /// account per role, and the router over it, on each engine.
    func withConsole(
        _ label: String, options: ConsoleOptions = ConsoleOptions(), keys: HubKeys? = nil, _ body: @escaping @Sendable (Engines.Name, any TestClientProtocol, HubStore) async throws -> Void
    ) async throws {
        _ = try await Engines.each(label) { engine, store in
            try await Events.union(store)
            for (name, role) in Self.accounts { try await store.addOperator(name, role: role, password: Self.password, cost: 4) }
            _ = try await store.addDeviceLog(
                box: "box-c", [DeviceLogLine(id: 1, atMillis: Events.base, level: "error", scannerID: "s1", message: "scanner <gone>")])
            let app = Application(router: HubServer.router(store: store, keys: keys, console: options))
            try await app.test(.router) { client in try await body(engine, client, store) }
        }
    }

    /// A browser's cookies and the session's form token.
    struct Browser: Sendable {
        var cookies: [String: String] = [:]
        var csrf = ""

        var header: HTTPFields {
            var h: HTTPFields = [:]
            if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
            return h
        }

        mutating func take(_ r: TestResponse) {
            for line in r.headers[values: .setCookie] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                if line.contains("Max-Age=0") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
            }
            if let token = Self.field("csrf", in: String(buffer: r.body)) { csrf = token }
        }

        static func field(_ name: String, in page: String) -> String? {
            guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(page[r.upperBound...].prefix { $0 != "\"" })
        }

        func get(_ client: any TestClientProtocol, _ uri: String) async throws -> TestResponse {
            try await client.execute(uri: uri, method: .get, headers: header, body: nil)
        }

        mutating func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [String: String], csrf: String? = nil) async throws -> TestResponse {
            var all = fields
            all["csrf"] = csrf ?? self.csrf
            var h = header
            h[.contentType] = "application/x-www-form-urlencoded"
            let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            let r = try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: body))
            take(r)
            return r
        }

        /// Signs in from a browser of its own.
        static func signInFresh(_ client: any TestClientProtocol, _ name: String, _ password: String = ConsoleRouterTests.password) async throws -> TestResponse {
            var b = Browser()
            return try await b.signIn(client, name, password)
        }

        /// Signs in through the form, as a browser does; answers the post's response.
        mutating func signIn(_ client: any TestClientProtocol, _ name: String, _ password: String = ConsoleRouterTests.password) async throws -> TestResponse {
            let form = try await get(client, "/console/login")
            take(form)
            let token = Self.field("token", in: String(buffer: form.body)) ?? ""
            var h = header
            h[.contentType] = "application/x-www-form-urlencoded"
            let body = "token=\(token)&name=\(name)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&language=zh"
            let r = try await client.execute(uri: "/console/login", method: .post, headers: h, body: ByteBuffer(string: body))
            take(r)
            if r.status == .seeOther { take(try await get(client, "/console/")) }
            return r
        }
    }

    func testEachRoleSeesAndChangesExactlyItsScope() async throws {
        try await withConsole("console-scope") { engine, client, store in
            let sites = ["shelf-a": "box-a", "shelf-b": "box-b", "hut-c": "box-c"]
            let sees: [String: Set<String>] = ["wang": ["shelf-a", "shelf-b", "hut-c"], "li": ["shelf-a", "shelf-b"], "zhao": ["shelf-a"]]
            for (name, role) in Self.accounts {
                var b = Browser()
                let signed = try await b.signIn(client, name)
                XCTAssertEqual(signed.status, .seeOther, "\(engine) \(name)")
                let list = String(buffer: try await b.get(client, "/console/sites").body)
                for (site, box) in sites.sorted(by: { $0.key < $1.key }) {
                    let visible = sees[name]!.contains(site)
                    let what = "\(engine) \(name) \(site)"
                    XCTAssertEqual(list.contains("/console/sites/\(site)\""), visible, what)
                    let got1 = try await b.get(client, "/console/sites/\(site)").status
                    XCTAssertEqual(got1, visible ? .ok : .notFound, what)
                    let boxPage = try await b.get(client, "/console/boxes/\(box)")
                    XCTAssertEqual(boxPage.status, visible ? .ok : .notFound, what)
                    XCTAssertFalse(String(buffer: boxPage.body).contains("scanner <gone>"), "device log lines are escaped")
                    // Writes: a site's fields and a new box are the region's and the union's;
                    // revoking a box is every role's, each in its scope.
                    let edit = try await b.post(client, "/console/sites/\(site)", ["name": "改名 \(name)", "kind": "bookshelf"])
                    XCTAssertEqual(edit.status, !visible ? (role.mayEditSites ? .notFound : .forbidden) : role.mayEditSites ? .seeOther : .forbidden, what)
                    let add = try await b.post(client, "/console/sites/\(site)/boxes", ["id": "new-\(name)-\(site)"])
                    XCTAssertEqual(add.status, !role.mayAddBoxes ? .forbidden : visible ? .ok : .notFound, what)
                    let revoke = try await b.post(client, "/console/boxes/\(box)/revoke", ["reason": "test \(name)"])
                    XCTAssertEqual(revoke.status, visible ? .seeOther : .notFound, what)
                    if visible { try await store.unrevoke(box) }
                    // Reports and their downloads of a site outside the scope are not found.
                    let report = try await b.get(client, "/console/reports/lending?site=\(site)")
                    XCTAssertEqual(report.status, visible ? .ok : .notFound, what)
                    let csv = try await b.get(client, "/console/reports/drift/csv?chart=flows&site=\(site)")
                    XCTAssertEqual(csv.status, visible ? .ok : .notFound, what)
                }
                // A region operator cannot put a site in another region, nor a new one there.
                if case .region = role {
                    let got2 = try await b.post(client, "/console/sites", ["id": "elsewhere", "region": "west"]).status
                    XCTAssertEqual(got2, .forbidden)
                    let got3 = try await b.post(client, "/console/sites", ["id": "east-new"]).status
                    XCTAssertEqual(got3, .seeOther)
                    let got4 = try await store.site("east-new").region
                    XCTAssertEqual(got4, "east")
                }
                // A region outside the scope, asked for by name, is not found either.
                let west = try await b.get(client, "/console/reports/visits?region=west")
                XCTAssertEqual(west.status, role == .union ? .ok : .notFound, "\(engine) \(name) region west")
                let audit = try await b.get(client, "/console/audit")
                XCTAssertEqual(audit.status, role == .union ? .ok : .notFound, "\(engine) \(name) audit")
                let got5 = try await b.get(client, "/console/audit.csv").status
                XCTAssertEqual(got5, role == .union ? .ok : .notFound)
            }
            // What the refused writes did not do: no site renamed out of scope, no box added.
            let names = try await store.dump("SELECT id, coalesce(name, '-') FROM site ORDER BY id")
            XCTAssertEqual(names, ["east-new|-", "hut-c|改名 wang", "shelf-a|改名 li", "shelf-b|改名 li"], "\(engine)")
            let added = try await store.dump("SELECT id FROM box WHERE id LIKE 'new-%' ORDER BY id")
            XCTAssertEqual(added, ["new-li-shelf-a", "new-li-shelf-b", "new-wang-hut-c", "new-wang-shelf-a", "new-wang-shelf-b"], "\(engine)")
            // Every change is in the audit log with who made it and from where.
            let revokes = try await store.dump("SELECT actor, origin, subject FROM audit WHERE action = 'box.revoke' ORDER BY id")
            XCTAssertEqual(
                revokes,
                [
                    "wang|console@unknown|box-c", "wang|console@unknown|box-a", "wang|console@unknown|box-b", "li|console@unknown|box-a", "li|console@unknown|box-b",
                    "zhao|console@unknown|box-a",
                ], "\(engine)")
        }
    }

    func testOverviewCountsTheScopeOnly() async throws {
        try await withConsole("console-overview") { engine, client, store in
            _ = try await store.addBox("waiting-b", site: "shelf-b")
            try await store.revoke("box-c", reason: "lost")
            var counts: [String: String] = [:]
            for (name, _) in Self.accounts {
                var b = Browser()
                _ = try await b.signIn(client, name)
                let page = String(buffer: try await b.get(client, "/console/").body)
                let tiles = page.components(separatedBy: "<span class=\"n\">").dropFirst().map { $0.prefix { $0.isNumber } }
                counts[name] = tiles.prefix(5).joined(separator: " ")
            }
            // online, seen today, quiet, never enrolled, revoked: the enrolled boxes were never
            // heard from after enrolling, so they count as quiet.
            XCTAssertEqual(counts, ["wang": "0 0 2 1 1", "li": "0 0 2 1 0", "zhao": "0 0 1 0 0"], "\(engine)")
        }
    }

    /// Pacing counts per account (whatever the address) and per address (whatever the
    /// account); a success clears the account's count; old failures are forgotten.
    func testLoginsArePacedPerAccountAndPerAddress() async throws {
        let log = try await Engines.agree("console-pacing") { _, store in
            try await store.addSite("shelf-a", region: "east")
            for name in ["wang", "li"] { try await store.addOperator(name, role: .union, password: Self.password, cost: 4) }
            let t0 = Events.base
            func attempt(_ name: String, _ password: String, from address: String, at ms: Int64) async -> String {
                do {
                    _ = try await store.login(name: name, password: password, address: address, nowMillis: ms)
                    return "ok"
                } catch let e as HubError { return e.code } catch { return "\(error)" }
            }
            var log: [String] = []
            // Five wrong passwords for wang from five addresses: the account waits 1 s.
            for i in 0..<5 { log.append(await attempt("wang", "wrong password", from: "10.0.0.\(i)", at: t0 + Int64(i))) }
            log.append(await attempt("wang", Self.password, from: "10.0.1.1", at: t0 + 10))
            log.append(await attempt("wang", Self.password, from: "10.0.1.1", at: t0 + 1010))
            // Success cleared wang's count: one more failure does not pace him.
            log.append(await attempt("wang", "wrong password", from: "10.0.2.1", at: t0 + 1020))
            log.append(await attempt("wang", Self.password, from: "10.0.2.2", at: t0 + 1030))
            // Five failures from one address against different names: that address waits,
            // another does not.
            for (i, name) in ["li", "nobody", "li", "wang", "x"].enumerated() {
                log.append(await attempt(name, "wrong password", from: "10.9.9.9", at: t0 + 2000 + Int64(i)))
            }
            log.append(await attempt("li", Self.password, from: "10.9.9.9", at: t0 + 2010))
            log.append(await attempt("li", Self.password, from: "10.9.9.8", at: t0 + 2020))
            // An hour on, the address's failures are forgotten.
            log.append(await attempt("li", Self.password, from: "10.9.9.9", at: t0 + 2010 + ConsoleAccess.failureMemoryMillis))
            return log
        }
        XCTAssertEqual(
            log,
            [
                "login-refused", "login-refused", "login-refused", "login-refused", "login-refused", "login-paced", "ok",
                "login-refused", "ok",
                "login-refused", "login-refused", "login-refused", "login-refused", "login-refused", "login-paced", "ok", "ok",
            ])
    }

    func testSessionsCookiesFormsAndPacedLogins() async throws {
        try await withConsole("console-sessions", options: ConsoleOptions(secureCookies: true)) { engine, client, store in
            // Cookies: HttpOnly, SameSite=Strict, the console's path, Secure under TLS.
            let form = try await client.execute(uri: "/console/login", method: .get, headers: [:], body: nil)
            let loginCookie = form.headers[values: .setCookie].first ?? ""
            for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Secure"] { XCTAssertTrue(loginCookie.contains(flag), loginCookie) }

            // A planted session id is never made live: sign-in issues a new one.
            var b = Browser()
            b.cookies[HubServer.sessionCookie] = String(repeating: "a", count: 64)
            let signed = try await b.signIn(client, "wang")
            XCTAssertEqual(signed.status, .seeOther)
            let sessionCookie = signed.headers[values: .setCookie].first { $0.hasPrefix(HubServer.sessionCookie) } ?? ""
            for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Secure"] { XCTAssertTrue(sessionCookie.contains(flag), sessionCookie) }
            XCTAssertNotEqual(b.cookies[HubServer.sessionCookie], String(repeating: "a", count: 64))
            let got6 = try await store.consoleSession(String(repeating: "a", count: 64))
            XCTAssertNil(got6)
            let got7 = try await b.get(client, "/console/sites").status
            XCTAssertEqual(got7, .ok)

            // A sign-in post without the form's own cookie (from another page) is refused.
            let forged = try await client.execute(
                uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=abc&name=wang&password=correct+horse+battery"))
            XCTAssertEqual(forged.status, .forbidden)
            XCTAssertNil(forged.headers[values: .setCookie].first { $0.hasPrefix(HubServer.sessionCookie) })

            // A form without the session's token changes nothing.
            let noToken = try await b.post(client, "/console/boxes/box-a/revoke", ["reason": "forged"], csrf: "")
            XCTAssertEqual(noToken.status, .forbidden)
            let wrong = try await b.post(client, "/console/boxes/box-a/revoke", ["reason": "forged"], csrf: String(repeating: "0", count: 64))
            XCTAssertEqual(wrong.status, .forbidden)
            let got8 = try await store.box("box-a").state
            XCTAssertEqual(got8, .enrolled)

            // The language is remembered for the account.
            let got9 = try await b.post(client, "/console/language", ["language": "en"]).status
            XCTAssertEqual(got9, .seeOther)
            let english = String(buffer: try await b.get(client, "/console/").body)
            XCTAssertTrue(english.contains("<html lang=\"en\">"))
            var again = Browser()
            _ = try await again.signIn(client, "wang")
            let remembered = String(buffer: try await again.get(client, "/console/sites").body)
            XCTAssertTrue(remembered.contains("Sites and boxes"))

            // A disabled account's live session ends at once; a new password ends every session.
            var li = Browser()
            _ = try await li.signIn(client, "li")
            let got10 = try await li.get(client, "/console/").status
            XCTAssertEqual(got10, .ok)
            try await store.setOperatorDisabled("li", true)
            let after = try await li.get(client, "/console/")
            XCTAssertEqual(after.status, .seeOther)
            XCTAssertEqual(after.headers[.location], "/console/login")
            let got11 = try await Browser.signInFresh(client, "li").status
            XCTAssertEqual(got11, .unauthorized)
            try await store.setOperatorPassword("wang", password: "another good secret", cost: 4)
            let got12 = try await again.get(client, "/console/").status
            XCTAssertEqual(got12, .seeOther)

            // Sign-out ends the session on the hub, not only in the browser.
            var zhao = Browser()
            _ = try await zhao.signIn(client, "zhao")
            let id = zhao.cookies[HubServer.sessionCookie]!
            let got13 = try await zhao.post(client, "/console/logout", [:]).status
            XCTAssertEqual(got13, .seeOther)
            let got14 = try await store.consoleSession(id)
            XCTAssertNil(got14)

            // Failed sign-ins from one address are paced (the disabled account's refused
            // sign-in above was the first): the fifth waits, and then even the right password.
            var answers: [HTTPResponse.Status] = []
            for _ in 0..<4 { answers.append(try await Browser.signInFresh(client, "zhao", "not the password").status) }
            answers.append(try await Browser.signInFresh(client, "zhao").status)
            XCTAssertEqual(answers, Array(repeating: .unauthorized, count: 4) + [.tooManyRequests], "\(engine)")
            let paced = try await Browser.signInFresh(client, "nobody", "not the password")
            XCTAssertEqual(paced.status, .tooManyRequests, "\(engine)")
            XCTAssertTrue(String(buffer: paced.body).contains("too many failed logins"))
            // Nothing of a password reaches the audit log or the sessions.
            let stored = try await store.dump("SELECT actor || detail FROM audit") + store.dump("SELECT csrf || origin FROM console_session")
            XCTAssertFalse(stored.joined().contains("horse"))
            XCTAssertFalse(stored.joined().contains(id), "sessions are kept by their hash")
        }
    }

    /// Quarantine, the catalog and privacy, each role against each scope.
    func testQuarantineCatalogAndPrivacyKeepToTheirScope() async throws {
        try await withConsole("console-records") { engine, client, store in
            // One event of each box set aside (as the hub sets them aside), and a catalog.
            var ids: [String: Int64] = [:]
            for (box, site) in [("box-a", "shelf-a"), ("box-b", "shelf-b"), ("box-c", "hut-c")] {
                let body = Canonical.text(Events.event(box, 7, site: site, .return, at: 7, item: "label:Q-\(box)"))
                ids[box] = try await store.engine.transaction { s in
                    try await s.value(
                        "INSERT INTO quarantine (box_id, seq, reason, body, received_ms) VALUES (?, 7, 'a test', ?, 1) RETURNING id", [.text(box), .text(body)])?.int ?? 0
                }
            }
            _ = try await store.importCatalog(
                [Downlink.Title(itemKey: "label:A1", title: "平凡的世界", homeSite: "shelf-a"), Downlink.Title(itemKey: "label:C1", title: "活着", homeSite: "hut-c")])
            var li = Browser(), zhao = Browser(), wang = Browser()
            _ = try await li.signIn(client, "li")
            _ = try await zhao.signIn(client, "zhao")
            _ = try await wang.signIn(client, "wang")

            // The region sees its boxes' events set aside, and may release or discard them only.
            let list = String(buffer: try await li.get(client, "/console/quarantine").body)
            XCTAssertTrue(list.contains("box-a") && list.contains("box-b") && !list.contains("box-c"), "\(engine)")
            let other = try await li.get(client, "/console/quarantine/\(ids["box-c"]!)")
            XCTAssertEqual(other.status, .notFound)
            let discardOther = try await li.post(client, "/console/quarantine/\(ids["box-c"]!)/discard", ["note": "not mine"])
            XCTAssertEqual(discardOther.status, .notFound)
            let released = try await li.post(client, "/console/quarantine/\(ids["box-a"]!)/release", ["note": "site fixed"])
            XCTAssertEqual(released.status, .seeOther)
            // A site manager reads their box's only, and changes nothing.
            let own = try await zhao.get(client, "/console/quarantine/\(ids["box-b"]!)")
            XCTAssertEqual(own.status, .notFound)
            let managerDiscard = try await zhao.post(client, "/console/quarantine/\(ids["box-b"]!)/discard", ["note": "x"])
            XCTAssertEqual(managerDiscard.status, .forbidden)
            let note = try await li.post(client, "/console/quarantine/\(ids["box-b"]!)/discard", [:])
            XCTAssertEqual(note.status, .badRequest, "a discard says why")
            let left = try await store.dump("SELECT box_id FROM quarantine ORDER BY box_id")
            XCTAssertEqual(left, ["box-b", "box-c"], "\(engine)")
            let applied = try await store.dump("SELECT item_key FROM event WHERE box_id = 'box-a' AND seq = 7")
            XCTAssertEqual(applied, ["label:Q-box-a"])
            let audited = try await store.dump("SELECT actor, action, detail FROM audit WHERE action LIKE 'quarantine.%'")
            XCTAssertEqual(audited, ["li|quarantine.release|site fixed"])

            // The catalog: a site manager's is their shelf's; another site is not found.
            let shelf = String(buffer: try await zhao.get(client, "/console/catalog").body)
            XCTAssertTrue(shelf.contains("平凡的世界") && !shelf.contains("活着"), "\(engine)")
            let otherShelf = try await zhao.get(client, "/console/catalog?site=hut-c")
            XCTAssertEqual(otherShelf.status, .notFound)
            let found = String(buffer: try await wang.get(client, "/console/catalog?q=%E6%B4%BB").body)
            XCTAssertTrue(found.contains("活着") && !found.contains("平凡的世界"))
            // Where a requested copy stands: promised on its home shelf, then on its way.
            try await store.insertRequests([Requests.Request(id: "q1", itemKey: "label:C1", pickupSite: "shelf-a", worker: "w", placedMillis: Events.base, holdDays: 7)])
            let promised = String(buffer: try await wang.get(client, "/console/catalog?q=%E6%B4%BB").body)
            XCTAssertTrue(promised.contains("在架 · hut-c · 已被预约"), "\(engine)")
            var out = Events.event("box-c", 40, site: "hut-c", .transferOut, at: 1, item: "label:C1")
            (out.draft.request, out.draft.destination) = ("q1", "shelf-a")
            _ = try await store.ingest(box: "box-c", site: "hut-c", events: Events.incoming([out]), keys: nil)
            let moving = String(buffer: try await wang.get(client, "/console/catalog?q=%E6%B4%BB").body)
            XCTAssertTrue(moving.contains("转寄途中 · hut-c → shelf-a"), "\(engine)")

            // Privacy is the union's: others get no page and no form.
            for b in [li, zhao] {
                var b = b
                let page = try await b.get(client, "/console/privacy")
                XCTAssertEqual(page.status, .notFound)
                let erase = try await b.post(client, "/console/privacy/erase/confirm", ["worker": Events.key("box-a", "w1"), "reference": "R-1"])
                XCTAssertEqual(erase.status, .notFound)
            }
            // An erasure: a number without the hub's keys is refused without being echoed;
            // a worker's key is confirmed first (counts only), then erased, and logged.
            try await store.ingest(
                box: "box-a", site: "shelf-a",
                events: Events.incoming([Events.event("box-a", 8, site: "shelf-a", .checkout, at: 8, item: "label:A1", who: "w1", due: "2026-12-30")]), keys: nil)
            let number = try await wang.post(client, "/console/privacy/erase", ["worker": "330802199001011234", "reference": "R-1"])
            XCTAssertEqual(number.status, .serviceUnavailable)
            XCTAssertFalse(String(buffer: number.body).contains("330802199001011234"))
            let preview = try await wang.post(client, "/console/privacy/erase", ["worker": Events.key("box-a", "w1"), "reference": "R-1"])
            XCTAssertEqual(preview.status, .ok)
            XCTAssertTrue(String(buffer: preview.body).contains("name=\"worker\" value=\"\(Events.key("box-a", "w1"))\""))
            let got101 = try await store.dump("SELECT count(*) FROM erasure_log")
            XCTAssertEqual(got101, ["0"], "nothing is erased before the confirmation")
            let confirmed = try await wang.post(client, "/console/privacy/erase/confirm", ["worker": Events.key("box-a", "w1"), "reference": "R-1"])
            XCTAssertEqual(confirmed.status, .ok)
            let got102 = try await store.dump("SELECT reference, operator, events FROM erasure_log")
            XCTAssertEqual(got102, ["R-1|wang|1"], "\(engine)")
            let retention = try await wang.post(client, "/console/privacy/retention", ["key": "visit:lactation", "days": "30"])
            XCTAssertEqual(retention.status, .seeOther)
            let got103 = try await store.retentionPeriods().map { "\($0.key)=\($0.days)" }
            XCTAssertEqual(got103, ["visit:lactation=30"])
        }
    }

    /// A site's name and its boxes' settings change together or not at all, in scope.
    func testSiteSettingsChangeWholeOrNotAtAll() async throws {
        try await withConsole("console-settings") { engine, client, store in
            var li = Browser(), zhao = Browser()
            _ = try await li.signIn(client, "li")
            _ = try await zhao.signIn(client, "zhao")
            let fine = try await li.post(client, "/console/sites/shelf-a", ["name": "东区书屋", "setting.max_loans": "3", "setting.over_limit": "refuse", "setting.loan_days": ""])
            XCTAssertEqual(fine.status, .seeOther)
            // One bad value: nothing of the form is written, the name included.
            let bad = try await li.post(client, "/console/sites/shelf-a", ["name": "改了", "setting.max_loans": "4", "setting.loan_days": "0"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(String(buffer: bad.body).contains("loan_days"))
            let manager = try await zhao.post(client, "/console/sites/shelf-a", ["setting.max_loans": "9"])
            XCTAssertEqual(manager.status, .forbidden)
            let elsewhere = try await li.post(client, "/console/sites/hut-c", ["setting.visit_max_minutes": "90"])
            XCTAssertEqual(elsewhere.status, .notFound)
            let site = try await store.site("shelf-a")
            XCTAssertEqual(site.name, "东区书屋", "\(engine)")
            XCTAssertEqual(site.settings, ["max_loans": "3", "over_limit": "refuse"], "\(engine)")
            let got201 = try await store.site("hut-c").settings
            XCTAssertEqual(got201, [:])
            // The form shows what is set.
            let page = String(buffer: try await li.get(client, "/console/sites/shelf-a").body)
            XCTAssertTrue(page.contains("name=\"setting.max_loans\" inputmode=\"numeric\" maxlength=\"6\" size=\"6\" value=\"3\""), page)
            XCTAssertTrue(page.contains("<option value=\"refuse\" selected>"))
        }
    }
}
