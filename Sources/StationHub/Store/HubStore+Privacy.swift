import Foundation
import StationCore
import StationProtocol

/// What a worker's summary shows an operator before an erasure or a follow-up: how much
/// of the ledger names them, never who they are.
public struct WorkerSummary: Sendable, Equatable, Codable {
    public var worker: String
    public var events: Int64
    public var openLoans: Int64
    public var boxes: [String]
    public var firstMillis: Int64?
    public var lastMillis: Int64?
}

/// Retention periods and erasure, written once for `stationhub` and the console.
extension HubStore {
    // MARK: - Retention

    /// `stationhub retention set KEY DAYS` (``Retention/Key``): a service's visits only for
    /// a service the hub knows (a standard one, or one boxes recorded).
    public func setRetention(_ key: String, days: Int, by actor: Actor = .process) async throws {
        let parsed: Retention.Key
        do { parsed = try Retention.Key(key) } catch { throw HubError(.invalid, "\(error)") }
        guard (1...36_500).contains(days) else { throw HubError(.invalid, "\(days) days: a period is 1 to 36500 days (unset it to keep records until erased)") }
        if case .visits(let service?) = parsed {
            let known = try await knownServices()
            guard known.contains(service) else {
                throw HubError(.invalid, "no visits of service \(service) are known here: \(known.sorted().joined(separator: ", "))")
            }
        }
        try await engine.transaction { s in
            try await s.execute(
                "INSERT INTO retention (key, days) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET days = excluded.days", [.text(key), .int(Int64(days))])
            try await Self.audit(s, actor, "retention.set", key, "\(days) days")
        }
    }

    /// Services the hub knows: the standard ones cards choose, and those boxes recorded.
    func knownServices() async throws -> Set<String> {
        let recorded = try await engine.read(SQLStatement("SELECT DISTINCT service FROM event WHERE service IS NOT NULL")).compactMap { $0[0].text }
        return Set(ControlCardTable.standard.services).union(recorded)
    }

    /// Takes a period away: records of that key keep their link until erased.
    public func unsetRetention(_ key: String, by actor: Actor = .process) async throws {
        try await engine.transaction { s in
            guard try await !s.rows("DELETE FROM retention WHERE key = ? RETURNING key", [.text(key)]).isEmpty else {
                throw HubError(.notFound, "no retention period is set for \(key)")
            }
            try await Self.audit(s, actor, "retention.unset", key)
        }
    }

    public func retentionPeriods() async throws -> [(key: String, days: Int)] {
        try await engine.read(SQLStatement("SELECT key, days FROM retention ORDER BY key")).compactMap {
            guard let key = $0[0].text, let days = $0[1].int else { return nil }
            return (key, Int(days))
        }
    }

    /// De-identifies (or, for quarantine, deletes) what has outlived its retention period
    /// at `nowMillis`; answers how many records each period changed.
    public func applyRetention(nowMillis: Int64) async throws -> [(key: String, changed: Int)] {
        var out: [(String, Int)] = []
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        for (index, (key, days)) in try await retentionPeriods().enumerated() {
            guard let parsed = try? Retention.Key(key) else { continue }
            // Tags of one key and run (`expired:RUN-K:N`) never meet another key's.
            let cutoff = Retention.cutoff(periodEndingAt: nowMillis - Int64(days) * 86_400_000)
            let plan = Retention.expire(parsed, cutoff: cutoff, run: "\(run)-\(index)", dialect: dialect)
            out.append((key, try await deidentify(plan)[plan.changed]))
        }
        return out
    }

    // MARK: - Erasure

    /// `stationhub erase WORKER`: every record of one worker de-identified in one
    /// transaction, their member card taken off the list, and each box that knew them told
    /// (with its next downlink) to delete its own copies of those events. Logged with the reference,
    /// never with the pseudonym. A worker no record names is refused: nothing is logged.
    public func erase(worker text: String, reference: String, operator name: String, by actor: Actor = .process) async throws -> (events: Int, books: Int, visits: Int) {
        let worker = try WorkerKey(text)
        guard !reference.trimmingCharacters(in: .whitespaces).isEmpty else { throw HubError(.invalid, "an erasure needs the request's reference") }
        let tag = "erased:" + String(HubIngest.randomSecret().prefix(16))
        let statements = Retention.erase(worker: worker.text, tag: tag, reference: reference, operator: name, atMillis: HubIngest.nowMillis(), dialect: dialect)
        let counts = try await engine.transaction { s in
            try await s.lock(.wholeLedger)
            // Each box's events of this worker, by seq: the boxes delete their copies.
            let column = if case .pseudonym = worker { "worker_pseudonym" } else { "worker_key" }
            let held = try await s.rows("SELECT box_id, seq FROM event WHERE \(column) = ? ORDER BY box_id, seq", [.text(worker.text)]).compactMap { r -> (String, Int64)? in
                guard let box = r[0].text, let seq = r[1].int else { return nil }
                return (box, seq)
            }
            // The first statement changes the worker's events.
            let counts = try await self.deidentifying(s, statements, eventsAt: 0)
            guard counts[0] + counts[1] + counts[2] + (counts.last ?? 0) > 0 else {
                throw HubError(.notFound, "no records name this worker: nothing was erased (check the pseudonym with `stationhub worker lookup -`)")
            }
            if case .pseudonym(let p) = worker { _ = try await Self.removeCards(s, where: "member", [p]) }
            try await s.execute(
                SQLStatement.insert(
                    into: "forget", columns: ["box_id", "seq", "revision"],
                    rows: zip(held, try await Self.nextRevisions(s, held.count)).map { [.text($0.0), .int($0.1), .int($1)] }, suffix: "ON CONFLICT DO NOTHING"))
            let boxes = Set(held.map(\.0)).count
            try await Self.audit(s, actor, "erase", reference, "by \(name): \(counts[0]) events, \(boxes) boxes told to forget them")
            return counts
        }
        await engine.forgetOldPages()
        return (counts[0], counts[1], counts[2])
    }

    /// The erasure log, newest first.
    public func erasureLog() async throws -> [ErasureRecord] {
        try await engine.read(SQLStatement("SELECT at_ms, reference, operator, events, books, visits FROM erasure_log ORDER BY id DESC")).map { r in
            ErasureRecord(atMillis: r[0].int ?? 0, reference: r[1].text ?? "", operatorName: r[2].text ?? "", events: r[3].int ?? 0, books: r[4].int ?? 0, visits: r[5].int ?? 0)
        }
    }

    /// A card or identity number turned into the worker as the hub names them: the
    /// pseudonym under `keys` (a resident ID is found by itself; `kind` says otherwise),
    /// or, for a card UID on the member list, that member. The number is not kept.
    public func worker(number: String, kind: String?, keys: HubKeys, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> (worker: String, credential: RawCredential) {
        let number = number.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let today = Calendar(identifier: .gregorian).dateComponents(in: HumanTime.defaultZone, from: Date(timeIntervalSince1970: Double(nowMillis) / 1000))
        let credential: RawCredential
        switch kind {
        case nil:
            if case .valid(let n) = ResidentIdentity.check(Substring(number), today: (today.year ?? 2026, today.month ?? 1, today.day ?? 1)) {
                credential = RawCredential(kind: .residentID, secret: n)
            } else {
                credential = RawCredential(kind: .memberCard, secret: number)
            }
        case let k?:
            guard let parsed = CredentialKind(rawValue: k), parsed != .eCard else { throw HubError(.invalid, "kind \(k): resident-id, member-card or card-uid") }
            credential = RawCredential(kind: parsed, secret: number)
        }
        // A card UID on the member list is that member.
        if credential.kind == .cardUID,
            let member = try await engine.read(SQLStatement("SELECT member FROM member_card WHERE card_uid = ? AND removed = 0", [.text(credential.secret)])).first?[0].text
        {
            return (member, credential)
        }
        return (keys.pseudonym(credential), credential)
    }

    /// How much of the ledger names one worker (before an erasure, or to follow up a
    /// question): counts and boxes, nothing of who they are.
    public func workerSummary(_ text: String) async throws -> WorkerSummary {
        let worker = try WorkerKey(text)
        let column = if case .pseudonym = worker { "worker_pseudonym" } else { "worker_key" }
        let key = SQLValue.text(worker.text)
        let row = try await engine.read(SQLStatement("SELECT count(*), min(corrected_ms), max(corrected_ms) FROM event WHERE \(column) = ?", [key])).first
        let loans = try await engine.read(SQLStatement("SELECT count(*) FROM ledger_book WHERE holder = ?", [key])).first?.first?.int ?? 0
        let boxes = try await engine.read(SQLStatement("SELECT DISTINCT box_id FROM event WHERE \(column) = ? ORDER BY box_id", [key])).compactMap { $0[0].text }
        return WorkerSummary(worker: worker.text, events: row?[0].int ?? 0, openLoans: loans, boxes: boxes, firstMillis: row?[1].int, lastMillis: row?[2].int)
    }
}

/// Sealed credentials the hub took while it held no keys (stored sealed, each worker under
/// a box-local key), opened now that it has them.
extension HubStore {
    /// Opens every credential stored sealed that `keys` can open: the event's worker gets
    /// the pseudonym (and the number leaves its body), the ledger rows of both names are
    /// recomputed. Answers how many were opened and how many these keys cannot open.
    public func openSealed(keys: HubKeys, by actor: Actor = .process) async throws -> (opened: Int, unopened: Int) {
        var opened = 0, unopened = 0, after: (String, Int64) = ("", 0)
        while true {
            let page = try await engine.read(
                SQLStatement(
                    """
                    SELECT box_id, seq, body FROM event
                    WHERE worker_pseudonym IS NULL AND worker_key IS NOT NULL AND body LIKE '%"sealed":%' AND (box_id > ? OR (box_id = ? AND seq > ?))
                    ORDER BY box_id, seq LIMIT 500
                    """, [.text(after.0), .text(after.0), .int(after.1)]))
            guard let last = page.last, let box = last[0].text, let seq = last[1].int else { break }
            after = (box, seq)
            let (n, failed) = try await openSealedPage(page, keys: keys, by: actor)
            opened += n
            unopened += failed
        }
        return (opened, unopened)
    }

    func openSealedPage(_ page: [SQLRow], keys: HubKeys, by actor: Actor) async throws -> (Int, Int) {
        var pending: [(box: String, seq: Int64, event: JournalEvent, opening: CredentialOpener.Pending)] = [], failed = 0
        for row in page {
            guard let box = row[0].text, let seq = row[1].int, let body = row[2].text,
                let event = try? JSONDecoder().decode(JournalEvent.self, from: Data(body.utf8)),
                case .opened(let p)? = try? opener.begin(event.draft.worker, keys: keys)
            else {
                failed += 1
                continue
            }
            pending.append((box, seq, event, p))
        }
        guard !pending.isEmpty else { return (0, failed) }
        let opened = pending
        try await engine.transaction { s in
            let members = try await Self.members(s, cardUIDs: Array(Set(opened.compactMap(\.opening.cardUID))))
            var touched = LedgerKeys()
            for p in opened {
                var stored = p.event
                stored.draft.worker = self.opener.finish(p.opening, member: p.opening.cardUID.flatMap { members[$0] })
                let before = Ledger.worker(p.event), now = Ledger.worker(stored)
                let at = try await s.rows(
                    "UPDATE event SET worker_pseudonym = ?, worker_key = ?, body = ? WHERE box_id = ? AND seq = ? AND worker_pseudonym IS NULL RETURNING corrected_ms",
                    [SQLValue(stored.draft.worker?.pseudonym), SQLValue(now), .text(Canonical.text(stored)), .text(p.box), .int(p.seq)]
                ).first?[0].int
                let kind = stored.draft.kind.rawValue
                touched.formUnion(LedgerKeys([(kind, stored.draft.item?.key, stored.siteID, before, at), (kind, nil, stored.siteID, now, at)]))
            }
            try await self.rebuildLedger(s, touched)
            try await Self.audit(s, actor, "pseudonymize", "\(opened.count) events", "sealed credentials opened")
        }
        return (pending.count, failed)
    }
}
