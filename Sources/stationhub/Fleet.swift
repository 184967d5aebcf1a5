import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol
import StationSystem

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "site", abstract: "Sites.", subcommands: [Add.self, List.self, Show.self, Set.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The site's id (boxes record it in every event).") var id: String
        @Option(help: "The region it is in (reports rank and narrow by region).") var region: String?
        @Option(help: "Its name, for people.") var name: String?
        @Option(help: "bookshelf, hut or station.") var kind: String?
        func run() async throws {
            let (id, region, name, kind) = (id, region, name, kind)
            try await hub.with { try await $0.addSite(id, region: region, name: name, kind: kind) }
            print("site \(id) created")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every site, with its region, kind and boxes.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        func run() async throws {
            let sites = try await hub.with { try await $0.sites() }
            format.print(sites, columns: ["site", "name", "kind", "region", "boxes"]) { [$0.id, $0.name, $0.kind, $0.region, String($0.boxes)] }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One site: its fields, the settings its boxes get, and its boxes.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The site's id.") var id: String
        func run() async throws {
            let id = id
            let (site, boxes) = try await hub.with { store in (try await store.site(id), try await store.boxes(site: id)) }
            print("site \(site.id)")
            for (label, value) in [("name", site.name), ("kind", site.kind), ("region", site.region)] { print("  \(label): \(value ?? "-")") }
            print("  settings: " + (site.settings.isEmpty ? "none (the boxes' own config)" : site.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
            print("  boxes: " + (boxes.isEmpty ? "none" : boxes.map { "\($0.id) (\($0.state.rawValue))" }.joined(separator: ", ")))
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a site's name, kind or region, and set what its boxes use (sent down with their next sync): \(KioskSettings.hubSettings.keys.sorted().joined(separator: ", ")).")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The site's id.") var id: String
        @Argument(help: "KEY=VALUE settings for its boxes.") var settings: [String] = []
        @Option(help: "Its name (\"\" clears it).") var name: String?
        @Option(help: "bookshelf, hut or station.") var kind: String?
        @Option(help: "Its region (\"\" clears it).") var region: String?
        func run() async throws {
            let pairs = try settings.map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw CommandError("\(pair): expected KEY=VALUE") }
                return kv
            }
            guard !pairs.isEmpty || name != nil || kind != nil || region != nil else { throw CommandError("nothing to set: give --name, --kind, --region or KEY=VALUE") }
            let (id, name, kind, region) = (id, name, kind, region)
            // One transaction: every setting checked before anything is written.
            let settings = pairs.map { (key: $0[0], value: $0[1]) }
            try await hub.with { try await $0.updateSite(id, name: name, kind: kind, region: region, settings: settings) }
            for (label, value) in [("name", name), ("kind", kind), ("region", region)] { if let value { print("site \(id): \(label) = \(value)") } }
            for kv in pairs { print("site \(id): \(kv[0]) = \(kv[1])") }
        }
    }
}

struct BoxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box", abstract: "Boxes.", subcommands: [Add.self, AddMany.self, List.self, Show.self, Move.self, Revoke.self, Unrevoke.self, Log.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a box (or replace one at its site) and print its one-time enrollment token.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        @Option(help: "The site it stands at.") var site: String
        @Option(help: "Also write a printable enrollment card (SVG) here: a QR code the box scans to enroll itself.") var card: String?
        @Option(help: "The hub's URL as boxes reach it (for --card).") var url: String?

        func validate() throws {
            if card != nil && url == nil { throw ValidationError("--card needs --url (the hub's address as boxes reach it)") }
        }

        func run() async throws {
            if let url { try BoxCommand.checkURL(url) }
            let (id, site) = (id, site)
            let token = try await hub.with { try await $0.addBox(id, site: site) }
            print(token)
            if let card, let url {
                let svg = try EnrollmentCardPrint.svg(EnrollmentCard(hubURL: url, token: token), boxID: id, siteID: site)
                do { try OutputFile.write(Data(svg.utf8), to: card, mode: 0o600) } catch { throw CommandError("cannot write \(card): \(error)") }
            }
        }
    }

    static func checkURL(_ url: String) throws {
        guard case .success? = EnrollmentCard.parse(EnrollmentCard(hubURL: url, token: String(repeating: "0", count: 64)).payload) else {
            throw CommandError("\(url) is not an http(s) URL a box can reach")
        }
    }

    struct AddMany: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create boxes from CSV (box_id,site) in one step and write their enrollment cards, ten to an A4 sheet; no token is printed to the terminal.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The CSV file: a header line box_id,site, then one box per line.") var file: String
        @Option(help: "The card sheets: NAME.svg for up to ten boxes, else NAME-01.svg, NAME-02.svg, ... (written mode 0600: each card enrolls a box once).") var cards: String
        @Option(help: "The hub's URL as boxes reach it (printed in each card's QR code).") var url: String
        @Option(help: "Also write box_id,token lines here (mode 0600), for boxes enrolled with `stationctl enroll`.") var tokens: String?

        func run() async throws {
            try BoxCommand.checkURL(url)
            let rows = try readCSV(file, columns: 2, header: "box_id")
            var boxes: [(id: String, site: String)] = []
            var seen = Swift.Set<String>()
            for r in rows {
                guard !r.fields[0].isEmpty, !r.fields[1].isEmpty else { throw CommandError("\(file): line \(r.line): a box id and a site") }
                guard seen.insert(r.fields[0]).inserted else { throw CommandError("\(file): line \(r.line): box \(r.fields[0]) is listed twice") }
                boxes.append((r.fields[0], r.fields[1]))
            }
            guard !boxes.isEmpty else { throw CommandError("\(file) lists no boxes") }
            let list = boxes
            let issued = try await hub.with { try await $0.addBoxes(list) }
            let sheets = try EnrollmentCardPrint.sheets(zip(boxes, issued).map { (EnrollmentCard(hubURL: url, token: $1), $0.id, $0.site) })
            let stem = cards.hasSuffix(".svg") ? String(cards.dropLast(4)) : cards
            let names = sheets.count == 1 ? ["\(stem).svg"] : sheets.indices.map { String(format: "%@-%02d.svg", stem, $0 + 1) }
            do {
                for (name, svg) in zip(names, sheets) { try OutputFile.write(Data(svg.utf8), to: name, mode: 0o600) }
                if let tokens {
                    try OutputFile.write(Data(("box_id,token\n" + zip(boxes, issued).map { "\($0.id),\($1)\n" }.joined()).utf8), to: tokens, mode: 0o600)
                }
            } catch {
                throw CommandError("the boxes are created but their cards could not be written (\(error)); `stationhub box add ID --site SITE --card FILE --url URL` reissues one")
            }
            print("\(boxes.count) boxes created; their cards: \(names.joined(separator: ", "))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every box (or a site's): state, last contact, backlog, software, clock.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Only this site's boxes.") var site: String?
        func run() async throws {
            let site = site
            let boxes = try await hub.with { try await $0.boxes(site: site) }
            let zone = try hub.timeZone
            format.print(boxes, columns: ["box", "site", "state", "last_seen", "backlog", "software", "clock_off"]) { b in
                [b.id, b.site, b.state.rawValue, b.lastSeenMillis.map { HumanTime.text($0, zone) }, b.backlog.map(String.init), b.software,
                 b.clockOffsetMillis.map { "\(Double($0) / 1000) s" }]
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One box: everything the hub knows of it.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        @Flag(help: "As one JSON object (times in milliseconds).") var json = false
        func run() async throws {
            let id = id
            let box = try await hub.with { try await $0.box(id) }
            if json {
                let e = JSONEncoder()
                e.outputFormatting = .sortedKeys
                print(String(decoding: try e.encode(box), as: UTF8.self))
                return
            }
            let zone = try hub.timeZone
            func time(_ ms: Int64?) -> String { ms.map { HumanTime.text($0, zone) } ?? "-" }
            print("box \(box.id) at \(box.site): \(box.state.rawValue)\(box.revokedReason.map { " (\($0))" } ?? "")")
            print("  enrolled: \(time(box.enrolledMillis))\(box.revokedMillis.map { "; revoked: \(HumanTime.text($0, zone))" } ?? "")")
            print("  last seen: \(time(box.lastSeenMillis)); last batch: \(time(box.lastBatchMillis))")
            print("  events held through seq \(box.ackedThrough); still to send, as it last said: \(box.backlog.map(String.init) ?? "-")")
            print("  software: \(box.software ?? "-")")
            print("  clock: \(box.clockOffsetMillis.map { "off by \(Double($0) / 1000) s, corrected \(time(box.clockCorrectedMillis))" } ?? "no correction received")")
            if !box.formerSites.isEmpty { print("  stood before at: \(box.formerSites.joined(separator: ", "))") }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a box to another site: its events from before the move keep their site; it learns the new one with its next sync.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        @Argument(help: "The site it stands at now.") var site: String
        func run() async throws {
            let (id, site) = (id, site)
            try await hub.with { try await $0.moveBox(id, to: site) }
            print("box \(id) moved to \(site)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a box: it keeps recording locally; its uploads are refused with the reason.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        @Option(help: "Why, for the site manager.") var reason: String
        func run() async throws {
            let (id, reason) = (id, reason)
            try await hub.with { try await $0.revoke(id, reason: reason) }
            print("box \(id) revoked")
        }
    }

    struct Unrevoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a box's revocation: its credential works again and it syncs what it recorded meanwhile.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        func run() async throws {
            let id = id
            try await hub.with { try await $0.unrevoke(id) }
            print("box \(id) may sync again")
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The warnings and errors a box uploaded from its device log.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The box's id.") var id: String
        @Flag(help: "One JSON object per line (times in milliseconds).") var json = false
        func run() async throws {
            let id = id
            let lines = try await hub.with { store in
                _ = try await store.box(id)
                return try await store.deviceLog(box: id)
            }
            let zone = try hub.timeZone
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for l in lines {
                print(json ? String(decoding: try encoder.encode(l), as: UTF8.self) : "\(HumanTime.text(l.atMillis, zone)) \(l.level) \(l.scannerID ?? "-") \(l.message)")
            }
        }
    }
}
