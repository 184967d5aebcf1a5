import StationSystem
import ArgumentParser
import Foundation
import StationCore
import StationDaemon
import StationInput
import StationProtocol
import StationStore

struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "The box's state directory (holds journal.sqlite).")
    var stateDirectory = "/var/lib/station"

    func reader() throws -> JournalReader {
        do {
            return try JournalReader(directory: stateDirectory)
        } catch {
            throw CommandError("cannot read the journal in \(stateDirectory): \(error)")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every journal event (credentials masked).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    @OptionGroup var state: StateOptions

    @Option(help: "jsonl (one JSON object per event) or csv.")
    var format: Format = .jsonl

    @Option(help: "Write the events waiting for the hub to this file instead, signed, for `stationhub import` (sites without a network).")
    var bundle: String?

    @Flag(help: "The same as --format jsonl (with --bundle: one JSON object saying what was written).")
    var json = false

    func run() throws {
        if let bundle {
            guard let link = HubLink.load(stateDirectory: state.stateDirectory) else {
                throw CommandError("this box is not enrolled (no hub.json in \(state.stateDirectory)): a bundle is signed with its credential")
            }
            let events = try state.reader().pending()
            let data = try JSONEncoder().encode(SyncBundle(boxID: link.boxID, events: events, credential: link.credential))
            try OutputFile.write(data, to: bundle, mode: 0o600)
            StandardOutput.writeLine(
                json
                    ? JSONLine([("written", .int(events.count)), ("bundle", .string(bundle))]).rendered
                    : Words.say("\(events.count) events written to \(bundle)", "已写出 \(events.count) 条记录到 \(bundle)"))
            return
        }
        if json && format == .csv { throw ValidationError("--json and --format csv: choose one") }
        let events = try state.reader().events()
        if format == .csv { StandardOutput.writeLine(JournalEvent.csvHeader) }
        for e in events { StandardOutput.writeLine(format == .csv ? e.csvLine : e.jsonLine.rendered) }
    }
}

struct Pending: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "How many events wait for the hub's acknowledgement.")

    @OptionGroup var state: StateOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let reader = try state.reader()
        let count = try reader.pendingCount()
        let range = try reader.pendingRange()
        if json {
            StandardOutput.writeLine(
                JSONLine([
                    ("pending", .int(count)), ("first_seq", range.first.map { .int(Int($0)) } ?? .null),
                    ("last_seq", range.last.map { .int(Int($0)) } ?? .null),
                ]).rendered)
        } else if count == 0 {
            StandardOutput.writeLine("nothing waits for the hub")
        } else {
            StandardOutput.writeLine("\(count) events wait for the hub (seq \(range.first!)...\(range.last!))")
        }
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The device log: what went wrong, newest last.")

    @OptionGroup var state: StateOptions

    @Option(help: "Only this level or worse: debug, info, notice, warning, error, critical.")
    var level = "debug"

    @Option(help: "Only lines about this scanner (its scanner id, as `stationctl devices` shows).")
    var scanner: String?

    @Option(help: "Only lines since this long ago: 30m, 2h, 7d.")
    var since: String?

    @Option(help: "At most this many lines.")
    var limit = 200

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Keep printing new lines as the daemon logs them (until interrupted).")
    var follow = false

    func validate() throws {
        guard JournalReader.levels.contains(level) else {
            throw ValidationError("--level must be one of \(JournalReader.levels.joined(separator: ", "))")
        }
        if let since, Self.millis(since) == nil { throw ValidationError("--since is a duration like 30m, 2h or 7d") }
    }

    static func millis(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return n * 1000
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        default: return nil
        }
    }

    func run() throws {
        let sinceMillis = since.flatMap(Self.millis).map { Int64(Date().timeIntervalSince1970 * 1000) - $0 } ?? 0
        let reader = try state.reader()
        var lastID = print(try reader.deviceLog(minLevel: level, scannerID: scanner, sinceMillis: sinceMillis, limit: limit), after: 0)
        guard follow else { return }
        // Woken by writes in the state directory (the journal's WAL), never by a timer.
        let watch = try DirectoryWatch(directory: state.stateDirectory)
        while true {
            _ = watch.wait()
            lastID = print(try reader.deviceLog(minLevel: level, scannerID: scanner, sinceMillis: sinceMillis, afterID: lastID, limit: limit), after: lastID)
        }
    }

    /// Prints the lines; returns the last id printed.
    func print(_ lines: [JournalReader.LogLine], after: Int64) -> Int64 {
        for line in lines {
            let at = Words.time(line.atMillis)
            if json {
                StandardOutput.writeLine(
                    JSONLine([
                        ("at", .string(at)), ("level", .string(line.level)), ("scanner", line.scannerID.map { .string($0) } ?? .null),
                        ("message", .string(line.message)),
                    ]).rendered)
            } else {
                StandardOutput.writeLine("\(at) \(line.level.padding(toLength: 8, withPad: " ", startingAt: 0)) \(line.scannerID ?? "-") \(line.message)")
            }
        }
        return lines.last?.id ?? after
    }
}

struct ImportAck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ack", abstract: "Take the hub's acknowledgement file for an offline bundle: acknowledged events leave the outbox.")

    @Argument(help: "The acknowledgement file `stationhub import` wrote.") var file: String
    @OptionGroup var state: StateOptions
    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        guard let link = HubLink.load(stateDirectory: state.stateDirectory) else { throw CommandError("this box is not enrolled") }
        guard let data = FileManager.default.contents(atPath: file), let ack = try? JSONDecoder().decode(BundleAcknowledgement.self, from: data) else {
            throw CommandError("\(file) is not an acknowledgement file")
        }
        guard ack.boxID == link.boxID, ack.verify(credential: link.credential) else {
            throw CommandError("\(file) is not signed for this box: nothing acknowledged")
        }
        let n = try JournalReader.acknowledge(directory: state.stateDirectory, through: ack.ackedThrough)
        StandardOutput.writeLine(
            json
                ? JSONLine([("acknowledged", .int(n)), ("acked_through", .int(Int(ack.ackedThrough)))]).rendered
                : Words.say("\(n) events acknowledged (through seq \(ack.ackedThrough))", "已确认 \(n) 条记录（至序号 \(ack.ackedThrough)）"))
    }
}

struct Pulls: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The hub's pull list (requested copies to send on) and this site's hold shelf (requests collected here), as of the last sync; printable.")

    @OptionGroup var state: StateOptions

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() throws {
        let lines = try state.reader().transfers()
        let now = SystemClock.wallMillis()
        func standing(_ e: Journal.TransferEntry, _ trapped: Int64?) -> String {
            let words = TransferWords.state(e, trappedAt: trapped, nowMillis: now)
            return Words.say(words.en, words.zh)
        }
        if json {
            for (e, trapped, title) in lines {
                StandardOutput.writeLine(
                    JSONLine([
                        ("list", .string(e.destination == nil ? "hold" : "pull")), ("request", .string(e.request)), ("item_key", .string(e.itemKey)),
                        ("title", title.map { .string($0) } ?? .null), ("destination", e.destination.map { .string($0) } ?? .null),
                        ("worker", e.masked.map { .string($0) } ?? .null), ("trapped_ms", trapped.map { .int(Int($0)) } ?? .null),
                        ("until_ms", e.untilMillis.map { .int(Int($0)) } ?? .null), ("purpose", e.purpose.map { .string($0) } ?? .null),
                    ]).rendered)
            }
            return
        }
        let pulls = lines.filter { $0.entry.destination != nil }, holds = lines.filter { $0.entry.destination == nil }
        StandardOutput.writeLine(Words.say("To send on (\(pulls.count))", "待转寄（\(pulls.count) 本）"))
        for (e, trapped, title) in pulls {
            StandardOutput.writeLine("  \(e.itemKey)  \(title ?? "")  → \(e.destination ?? "")  \(standing(e, trapped))  [\(e.request)\(TransferWords.purpose(e))]")
        }
        StandardOutput.writeLine(Words.say("Hold shelf (\(holds.count))", "预约架（\(holds.count) 本）"))
        for (e, trapped, title) in holds {
            StandardOutput.writeLine("  \(e.itemKey)  \(title ?? "")  \(Words.say("for", "为")) \(e.masked ?? "****")  \(standing(e, trapped))  [\(e.request)]")
        }
    }
}

struct StocktakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stocktake",
        abstract: "The stocktake at this box: running since when and how many books counted, or when the last one ended.",
        discussion: "A site manager's card 盘点开始 begins one and 盘点结束 ends it; meanwhile every book scanned is counted, none lent or returned.")

    @OptionGroup var state: StateOptions

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        guard let (s, ended) = try state.reader().latestStocktake() else {
            if json { StandardOutput.writeLine(JSONLine([("running", .bool(false)), ("started_ms", .null)]).rendered) } else {
                StandardOutput.writeLine(Words.say("No stocktake yet", "尚未盘点"))
            }
            return
        }
        if json {
            StandardOutput.writeLine(
                JSONLine([
                    ("running", .bool(ended == nil)), ("started_ms", .int(Int(s.startedAtMillis))), ("ended_ms", ended.map { .int(Int($0)) } ?? .null),
                    ("counted", .int(s.counted)),
                ]).rendered)
            return
        }
        let since = Words.time(s.startedAtMillis)
        if let ended {
            StandardOutput.writeLine(Words.say("Last stocktake \(since) to \(Words.time(ended)): \(s.counted) books counted", "上次盘点 \(since) 至 \(Words.time(ended))：清点 \(s.counted) 本"))
        } else {
            StandardOutput.writeLine(Words.say("Stocktake running since \(since): \(s.counted) books counted", "盘点进行中（\(since) 开始）：已清点 \(s.counted) 本"))
        }
    }
}
