import StationSystem
import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Operators' reports and recommendations, computed in the hub's database.",
        discussion: Reports.all.map { "\($0.name): \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var db: DatabaseOption
    @Argument(help: "The report: \(Reports.all.map(\.name).joined(separator: ", ")).") var name: String
    @Option(help: "First day (UTC), YYYY-MM-DD.") var from: String?
    @Option(help: "Day after the last (UTC), YYYY-MM-DD.") var to: String?
    @Option(help: "One site (restock needs it).") var site: String?
    @Option(help: "One region (most-borrowed).") var region: String?
    @Option(help: "also-borrowed: one title, or an item key of it.") var item: String?
    @Option(help: "Most rows (per region or per title where ranked).") var limit = 20
    @Option(help: "text (aligned columns), csv or json.") var format = "text"
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func validate() throws {
        guard Reports.all.contains(where: { $0.name == name }) else {
            throw ValidationError("no report \(name): \(Reports.all.map(\.name).joined(separator: ", "))")
        }
        guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format text, csv or json") }
    }

    func run() async throws {
        let parameters = Reports.Parameters(
            from: from, to: to, site: site, region: region, item: item, limit: limit, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
        let table = try await db.with { try await $0.report(name, parameters) }
        let text: String
        switch format {
        case "csv": text = table.csv
        case "json": text = String(decoding: table.json(report: name), as: UTF8.self) + "\n"
        default: text = table.aligned
        }
        if let out {
            do { try OutputFile.write(Data(text.utf8), to: out) } catch { throw CommandError("cannot write \(out): \(error)") }
        } else {
            print(text, terminator: "")
        }
    }
}

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "How long records keep their link to a person; past it, they count in reports but name no one.",
        subcommands: [Set.self, Show.self, Apply.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a retention period: KEY is checkout, renewal, return, void, visit, visit:SERVICE (e.g. visit:lactation, shorter) or quarantine.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "What the period is for.") var key: String
        @Argument(help: "Days.") var days: Int
        func run() async throws {
            try await db.with { try await $0.setRetention(key, days: days) }
            print("retention \(key): \(days) days")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The retention periods set.")
        @OptionGroup var db: DatabaseOption
        func run() async throws {
            for (key, days) in try await db.with({ try await $0.retentionPeriods() }) { print("\(key)\t\(days) days") }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "De-identify what has outlived its period now (serve also does, hourly).")
        @OptionGroup var db: DatabaseOption
        @Option(help: "As of this day (UTC, YYYY-MM-DD) instead of now.") var now: String?
        func run() async throws {
            var at = Int64(Date().timeIntervalSince1970 * 1000)
            if let now {
                guard let day = (try? Reports.millis(now, "now")) ?? nil else { throw ValidationError("--now \(now): YYYY-MM-DD") }
                at = day
            }
            let asOf = at
            for (key, changed) in try await db.with({ try await $0.applyRetention(nowMillis: asOf) }) {
                print("retention \(key): \(changed) records \(key == "quarantine" ? "deleted" : "de-identified")")
            }
        }
    }
}

struct Erase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one worker's link to their records (a person's request): their events, loans and visits still count in reports but name no one. Logged with the reference, never with the pseudonym.")
    @OptionGroup var db: DatabaseOption
    @Argument(help: "The worker as reports name them: the pseudonym (p1:...), or a box-local key (BOX/v1:...) from a hub without keys.") var worker: String
    @Option(help: "The request's reference (ticket, letter), kept in the erasure log.") var reference: String
    @Option(name: .customLong("operator"), help: "Who carries it out, kept in the erasure log.") var operatorName: String
    func run() async throws {
        let (events, books, visits) = try await db.with { try await $0.erase(worker: worker, reference: reference, operator: operatorName) }
        print("erased (\(reference), by \(operatorName)): \(events) events, \(books) book records, \(visits) visits no longer name this worker")
    }
}

