import ArgumentParser
import Foundation
import StationHub
import StationProtocol

struct MovesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moves", abstract: "Suggested moves (stationhub report moves): sleeping copies sent where their title is wanted.", subcommands: [Accept.self])

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept suggested moves: the first --limit that `stationhub report moves` lists (with the same --site or --region), or only the --item copies among all it proposes. Each becomes a transfer on the holding site's pull list; a copy that is no suggested move any more is refused, and nothing is accepted.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Only this copy (item key); repeat for several.") var item: [String] = []
        @Option(help: "Only moves from or to this site.") var site: String?
        @Option(help: "Only moves within this region.") var region: String?
        @Option(help: "How many of the report's first moves (without --item).") var limit: Int = 20
        func run() async throws {
            guard site == nil || region == nil else { throw CommandError("--site or --region, not both") }
            let scope: ConsoleRole = site.map { .site($0) } ?? region.map { .region($0) } ?? .union
            let (items, limit) = (item, limit)
            let placed = try await hub.with { try await $0.acceptMoves(items: items.isEmpty ? nil : items, limit: limit, scope: scope, by: .process) }
            RequestCommand.show(placed, format, try hub.timeZone)
            if !format.json { print("\(placed.count) move(s) accepted") }
        }
    }
}

struct RotationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotation", abstract: "Rotations: a collection of copies moving through a route of sites, a stage at each.",
        subcommands: [Add.self, List.self, Advance.self, End.self])

    static func show(_ records: [RotationRecord], _ format: ListFormat, _ zone: TimeZone) {
        format.print(records, columns: ["rotation", "route", "days", "stage", "at", "next", "copies", "there", "moving", "ended"]) { r in
            [r.name, r.sites.joined(separator: "→") + (r.cyclic ? "→…" : ""), String(r.stageDays), "\(r.stage + 1)", r.site, r.nextMillis.map { HumanTime.text($0, zone) },
             String(r.copies), String(r.arrived), String(r.moving), r.endedMillis.map { HumanTime.text($0, zone) }]
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a rotation now: its copies (--item, repeated, or every labelled copy of --title) go to the first site, and on through the route, --days at each. Copies on loan follow when returned; copies a worker's request holds follow once it ends.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Argument(help: "The rotation's name.") var name: String
        @Option(help: "The route: sites, comma-separated, in order.") var sites: String
        @Option(help: "Days at each site.") var days: Int
        @Flag(help: "Round and round (else it stays at the last site).") var cyclic = false
        @Option(help: "A copy (item key); repeat for several.") var item: [String] = []
        @Option(help: "Every labelled copy of this title (the catalog's title text).") var title: String?
        func run() async throws {
            let (name, route, days, cyclic, items, title) = (name, sites.split(separator: ",").map(String.init), days, cyclic, item, title)
            let r = try await hub.with { try await $0.addRotation(name, sites: route, stageDays: days, cyclic: cyclic, items: items, title: title, by: .process) }
            RotationCommand.show([r], format, try hub.timeZone)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rotations, running first: the stage and site now, the next stage, copies there and on their way.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        func run() async throws {
            RotationCommand.show(try await hub.with { try await $0.rotations() }, format, try hub.timeZone)
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring every running rotation to its stage now (`stationhub serve` does it every minute): moves placed on the pull lists, earlier stages' cancelled.")
        @OptionGroup var hub: HubOptions
        func run() async throws {
            let n = try await hub.with { try await $0.advanceRotations(by: .process) }
            print("\(n) move(s) placed or cancelled")
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a rotation: its open moves are cancelled; its copies stay where they are.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Argument(help: "The rotation's name.") var name: String
        func run() async throws {
            let name = name
            RotationCommand.show([try await hub.with { try await $0.endRotation(name, by: .process) }], format, try hub.timeZone)
        }
    }
}
