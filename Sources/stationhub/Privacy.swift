import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol
import StationSystem

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Workers as the hub knows them: by pseudonym only.", subcommands: [Lookup.self])

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A person's pseudonym from their card or identity number, read from standard input (never the command line), and how much of the ledger names them: for an erasure or a follow-up. The number is not kept or printed.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "`-` (standard input), or a file holding the number.") var source: String
        @Option(help: "What the number is: resident-id (found by itself when it is one), member-card (the default otherwise) or card-uid.") var kind: String?
        @Option(help: "The hub's key directory (default: the settings file's [keys] dir).") var keys: String?
        @Flag(help: "As one JSON object.") var json = false

        func run() async throws {
            let hubKeys = try hub.hubKeys(keys, neededFor: "a pseudonym")!
            let number = try readSecret(source, what: "card or identity number")
            let kind = kind
            let (summary, credential) = try await hub.with { store -> (WorkerSummary, RawCredential) in
                let (worker, credential) = try await store.worker(number: number, kind: kind, keys: hubKeys)
                return (try await store.workerSummary(worker), credential)
            }
            if json {
                let e = JSONEncoder()
                e.outputFormatting = .sortedKeys
                print(String(decoding: try e.encode(summary), as: UTF8.self))
                return
            }
            let zone = try hub.timeZone
            print("\(credential.kind.rawValue) \(credential.masked): \(summary.worker)")
            guard summary.events > 0 else {
                print("  no records name this worker")
                return
            }
            print("  \(summary.events) events at \(summary.boxes.joined(separator: ", ")), \(summary.openLoans) books on loan now")
            if let first = summary.firstMillis, let last = summary.lastMillis { print("  first \(HumanTime.text(first, zone)), last \(HumanTime.text(last, zone))") }
        }
    }
}

struct Erase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one worker's link to their records (a person's request): their events, loans and visits still count in reports but name no one; their member card leaves the list; each box that knew them de-identifies its own records at its next sync. Logged with the reference, never with the pseudonym.")
    @OptionGroup var hub: HubOptions
    @Argument(help: "The worker: the pseudonym (p1:..., from `stationhub worker lookup -`), or a box-local key (BOX/v1:...) from a hub without keys.") var worker: String
    @Option(help: "The request's reference (ticket, letter), kept in the erasure log.") var reference: String
    @Option(name: .customLong("operator"), help: "Who carries it out, kept in the erasure log.") var operatorName: String
    func run() async throws {
        let (worker, reference, name) = (worker, reference, operatorName)
        let (events, books, visits) = try await hub.with { try await $0.erase(worker: worker, reference: reference, operator: name) }
        print("erased (\(reference), by \(name)): \(events) events, \(books) book records, \(visits) visits no longer name this worker")
    }
}

struct ErasureLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "erasure-log", abstract: "Every erasure: when, the reference, who, and how many records (never whom).")
    @OptionGroup var hub: HubOptions
    @OptionGroup var format: ListFormat
    func run() async throws {
        let log = try await hub.with { try await $0.erasureLog() }
        let zone = try hub.timeZone
        format.print(log, columns: ["at", "reference", "operator", "events", "books", "visits"]) {
            [HumanTime.text($0.atMillis, zone), $0.reference, $0.operatorName, String($0.events), String($0.books), String($0.visits)]
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit log: every change made through stationhub or the console, newest first.")
    @OptionGroup var hub: HubOptions
    @OptionGroup var format: ListFormat
    @Option(help: "Most lines.") var limit = 100
    func run() async throws {
        let limit = limit
        let log = try await hub.with { try await $0.auditLog(limit: limit) }
        let zone = try hub.timeZone
        format.print(log, columns: ["at", "who", "from", "action", "subject", "detail"]) {
            [HumanTime.text($0.atMillis, zone), $0.actor, $0.origin, $0.action, $0.subject, $0.detail]
        }
    }
}

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "How long records keep their link to a person; past it, they count in reports but name no one.",
        subcommands: [Set.self, Unset.self, Show.self, Apply.self])

    static let keys = "checkout, renewal, return, void, visit, visit:SERVICE (e.g. visit:lactation, shorter) or quarantine"

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a retention period: KEY is \(keys); DAYS at least 1.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "What the period is for.") var key: String
        // (Read as text, so that `-5` is answered as a number of days and not as an option.)
        @Argument(parsing: .allUnrecognized, help: "Days, at least 1.") var days: [String] = []
        func run() async throws {
            guard days.count == 1, let n = Int(days[0]), n >= 1 else {
                throw CommandError("the period is a whole number of days, at least 1 (`retention unset \(key)` keeps records until erased)")
            }
            let key = key
            try await hub.with { try await $0.setRetention(key, days: n) }
            print("retention \(key): \(n) days")
        }
    }

    struct Unset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a period away: records of KEY keep their link until erased.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "What the period was for.") var key: String
        func run() async throws {
            let key = key
            try await hub.with { try await $0.unsetRetention(key) }
            print("retention \(key): unset (kept until erased)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The retention periods: each kind of record, and how long it keeps its link.")
        @OptionGroup var hub: HubOptions
        func run() async throws {
            let periods = try await hub.with { try await $0.retentionPeriods() }
            let set = Dictionary(uniqueKeysWithValues: periods.map { ($0.key, $0.days) })
            for key in ["checkout", "renewal", "return", "void", "visit", "quarantine"] {
                print("\(key)\t" + (set[key].map { "\($0) days" } ?? (key == "quarantine" ? "not set: kept until released or discarded" : "not set: kept until erased")))
            }
            for (key, days) in periods where key.hasPrefix("visit:") { print("\(key)\t\(days) days") }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "De-identify what has outlived its period now (serve also does, hourly).")
        @OptionGroup var hub: HubOptions
        @Option(help: "As of this day (UTC, YYYY-MM-DD) instead of now.") var now: String?
        func run() async throws {
            let asOf = try now.map { try dayMillis($0, flag: "now") } ?? Int64(Date().timeIntervalSince1970 * 1000)
            let periods = try await hub.with { try await $0.applyRetention(nowMillis: asOf) }
            if periods.isEmpty { print("no retention periods are set: nothing is de-identified (`stationhub retention set KEY DAYS`)") }
            for (key, changed) in periods {
                print("retention \(key): \(changed) records \(key == "quarantine" ? "deleted" : "de-identified")")
            }
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Operators' reports and recommendations, computed in the hub's database.",
        discussion: Reports.all.map { "\($0.name): \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var hub: HubOptions
    @Argument(help: "The report: \(Reports.all.map(\.name).joined(separator: ", ")).") var name: String
    @Option(help: "First day (UTC), YYYY-MM-DD.") var from: String?
    @Option(help: "Day after the last (UTC), YYYY-MM-DD.") var to: String?
    @Option(help: "One site.") var site: String?
    @Option(help: "The sites of one region.") var region: String?
    @Option(help: "also-borrowed: one title, or an item key of it.") var item: String?
    @Option(help: "overdue: as of this day (YYYY-MM-DD) instead of today.") var asOf: String?
    @Option(help: "Most rows (per region or per title where ranked).") var limit = 20
    @Option(help: "lost-in-transit: days on the way after which a copy counts as lost.") var lostAfterDays = Requests.defaultLostAfterDays
    @Option(help: "text (aligned columns, local times), csv (local times) or json (times in milliseconds).") var format = "text"
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func validate() throws {
        guard Reports.all.contains(where: { $0.name == name }) else {
            throw ValidationError("no report \(name): \(Reports.all.map(\.name).joined(separator: ", "))")
        }
        guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format text, csv or json") }
        if asOf != nil && name != "overdue" { throw ValidationError("--as-of applies to overdue") }
    }

    func run() async throws {
        let now = try asOf.map { try dayMillis($0, flag: "as-of") } ?? Int64(Date().timeIntervalSince1970 * 1000)
        let zone = try hub.timeZone
        var parameters = Reports.Parameters(from: from, to: to, site: site, region: region, item: item, limit: limit, nowMillis: now)
        parameters.zoneOffsetMillis = Reports.zoneOffset(zone, at: now)
        guard (1...3650).contains(lostAfterDays) else { throw ValidationError("--lost-after-days: 1 to 3650") }
        parameters.lostAfterDays = lostAfterDays
        let name = name, asked = parameters
        let table = try await hub.with { try await $0.report(name, asked) }
        let text: String
        switch format {
        case "csv": text = table.humanized(timeZone: zone).csv
        case "json": text = String(decoding: table.json(report: name), as: UTF8.self) + "\n"
        default: text = table.humanized(timeZone: zone).aligned
        }
        if let out {
            do { try OutputFile.write(Data(text.utf8), to: out) } catch { throw CommandError("cannot write \(out): \(error)") }
        } else {
            print(text, terminator: "")
        }
    }
}
