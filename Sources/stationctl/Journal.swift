import ArgumentParser
import Foundation
import StationCore
import StationDaemon
import StationStore

struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "The box's state directory (holds journal.sqlite).")
    var stateDirectory = "/var/lib/station"

    func reader() throws -> JournalReader {
        do {
            return try JournalReader(directory: stateDirectory)
        } catch {
            throw ValidationError("cannot read the journal in \(stateDirectory): \(error)")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every journal event (credentials masked).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    @OptionGroup var state: StateOptions

    @Option(help: "jsonl (one JSON object per event) or csv.")
    var format: Format = .jsonl

    func run() throws {
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
