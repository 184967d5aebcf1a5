import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol
import StationSystem

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "The union's catalog, sent down to boxes.", subcommands: [Import.self, List.self, Find.self, Remove.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load titles from CSV: item_key,title,home_site, item keys as boxes record them (isbn:9787..., gtin:..., label:LIB-000123). Every line is checked first: one bad line imports nothing.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The CSV file.") var file: String
        func run() async throws {
            let rows = try readCSV(file, columns: 3, header: "item_key")
            let titles: [Downlink.Title]
            switch CatalogImport.titles(rows) {
            case .success(let t): titles = t
            case .failure(let found): throw CommandError(nothingImported(file, found))
            }
            let changed = try await hub.with { try await $0.importCatalog(titles) }
            Swift.print("\(titles.count) titles read, \(changed) new or changed")
        }
    }

    static func show(_ records: [CatalogRecord], _ format: ListFormat) {
        format.print(records, columns: ["item_key", "title", "home", "now_at", "standing", "on_loan_until", "request"]) { c in
            let standing = c.transitTo.map { "in-transit \(c.transitFrom ?? "?")→\($0)" } ?? c.holdSite.map { "on-hold at \($0)" } ?? c.standing
            return [c.itemKey, c.title, c.homeSite, c.site, standing, c.holder == nil ? nil : (c.dueDate ?? "on loan"), c.request]
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The catalog, with where each copy is now (a site's, or all).")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Titles at home or now at this site.") var site: String?
        @Option(help: "Most titles.") var limit = 100
        @Option(help: "Skip this many first.") var offset = 0
        func run() async throws {
            let (site, limit, offset) = (site, limit, offset)
            CatalogCommand.show(try await hub.with { try await $0.catalog(site: site, limit: limit, offset: offset) }, format)
        }
    }

    struct Find: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Titles whose title or item key holds TEXT (any case), with where each copy is now.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Argument(help: "Part of a title, an ISBN or a label.") var text: String
        @Option(help: "Only at home or now at this site.") var site: String?
        @Option(help: "Most titles.") var limit = 50
        func run() async throws {
            let (text, site, limit) = (text, site, limit)
            CatalogCommand.show(try await hub.with { try await $0.catalog(query: text, site: site, limit: limit) }, format)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take titles out of the catalog (boxes forget them; their loans' history stays).")
        @OptionGroup var hub: HubOptions
        @Argument(help: "Item keys.") var itemKeys: [String]
        func run() async throws {
            let keys = itemKeys
            let removed = try await hub.with { try await $0.removeCatalog(keys) }
            Swift.print("\(removed) titles removed")
        }
    }
}

/// A refused import: each line's problem, the first fifty of them.
func nothingImported(_ file: String, _ found: CatalogImport.Problems) -> String {
    let problems = found.lines
    return "\(file): nothing imported:\n" + problems.prefix(50).map { "  \($0)" }.joined(separator: "\n") + (problems.count > 50 ? "\n  (and \(problems.count - 50) more)" : "")
}

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Members' card UIDs, sent down to boxes.", subcommands: [Import.self, List.self, Remove.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load card UIDs from CSV: card_uid,member_card. The member card number becomes the member's pseudonym and is not stored.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The hub's key directory (pseudonyms; default: the settings file's [keys] dir).") var keys: String?
        func run() async throws {
            let hubKeys = try hub.hubKeys(keys, neededFor: "turning member cards into pseudonyms")!
            let rows = try readCSV(file, columns: 2, header: "card_uid")
            let members: [Downlink.Member]
            switch CatalogImport.members(rows, pseudonym: { hubKeys.pseudonym(RawCredential(kind: .memberCard, secret: $0)) }) {
            case .success(let m): members = m
            case .failure(let found): throw CommandError(nothingImported(file, found))
            }
            let list = members
            let changed = try await hub.with { try await $0.importMembers(list) }
            print("\(members.count) cards read, \(changed) new or changed")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The member list: card UIDs and the members they are (pseudonyms).")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Most cards.") var limit = 100
        @Option(help: "Skip this many first.") var offset = 0
        func run() async throws {
            let (limit, offset) = (limit, offset)
            let members = try await hub.with { try await $0.members(limit: limit, offset: offset) }
            format.print(members, columns: ["card_uid", "member"]) { [$0.cardUID, $0.member] }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take card UIDs off the member list (a lost card): boxes forget them with their next sync.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "Card UIDs.") var cardUIDs: [String]
        func run() async throws {
            let uids = cardUIDs
            let removed = try await hub.with { try await $0.removeMembers(uids) }
            print("\(removed) cards removed")
        }
    }
}

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Events set aside: why, and what becomes of them.", subcommands: [List.self, Show.self, Release.self, Discard.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Events set aside, newest first.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Only this box's.") var box: String?
        @Option(help: "Most events.") var limit = 100
        func run() async throws {
            let (box, limit) = (box, limit)
            let records = try await hub.with { try await $0.quarantine(box: box, limit: limit) }
            let zone = try hub.timeZone
            format.print(records, columns: ["id", "box", "seq", "received", "reason"]) { [String($0.id), $0.box, String($0.seq), HumanTime.text($0.receivedMillis, zone), $0.reason] }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One event set aside, as it came.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "Its id (quarantine list).") var id: Int64
        func run() async throws {
            let id = id
            let r = try await hub.with { try await $0.quarantined(id) }
            print("quarantine \(r.id): box \(r.box) seq \(r.seq), received \(HumanTime.text(r.receivedMillis, try hub.timeZone))")
            print("why: \(r.reason)")
            print(r.body ?? "")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply an event set aside now that its cause is fixed (a key found, a site created); it is set aside again, with the new reason, if it still cannot be taken.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "Its id (quarantine list).") var id: Int64
        @Option(help: "Why, for the audit log.") var note: String
        @Option(help: "The hub's key directory, to open sealed credentials (default: the settings file's [keys] dir).") var keys: String?
        func run() async throws {
            let hubKeys = try hub.hubKeys(keys)
            let (id, note) = (id, note)
            let result = try await hub.with { try await $0.release(id, keys: hubKeys, note: note) }
            if let again = result.quarantined.first {
                print("quarantine \(id): set aside again: \(again.reason)")
                throw ExitCode(1)
            }
            print("quarantine \(id): applied")
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an event set aside, with a note for the audit log.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "Its id (quarantine list).") var id: Int64
        @Option(help: "Why, for the audit log.") var note: String
        func run() async throws {
            let (id, note) = (id, note)
            try await hub.with { try await $0.discard(id, note: note) }
            print("quarantine \(id): discarded")
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a box's offline bundle (stationctl export --bundle) and write the acknowledgement file for it.")

    @OptionGroup var hub: HubOptions
    @Argument(help: "The bundle file.") var file: String
    @Option(help: "The hub's key directory (pseudonyms), as for serve (default: the settings file's [keys] dir).") var keys: String?
    @Option(name: .customLong("ack"), help: "Where to write the acknowledgement (default: the bundle's name + .ack).") var ackPath: String?

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file), let bundle = try? JSONDecoder().decode(SyncBundle.self, from: data) else {
            throw CommandError("\(file) is not a Station bundle")
        }
        // Without keys, workers' sealed numbers could never become their pseudonyms.
        let sealed = bundle.events.contains { $0.draft.worker?.sealed != nil }
        let hubKeys = try hub.hubKeys(keys, neededFor: sealed ? "\(file) holds sealed credentials: nothing was imported; giving workers their pseudonyms" : nil)
        let (result, ack, reopened) = try await hub.with { store in
            let (result, ack) = try await store.importBundle(bundle, keys: hubKeys)
            // Credentials an earlier import without keys stored sealed get their pseudonyms now.
            var reopened = 0
            if let hubKeys { reopened = try await store.openSealed(keys: hubKeys).opened }
            return (result, ack, reopened)
        }
        let out = ackPath ?? file + ".ack"
        try OutputFile.write(try JSONEncoder().encode(ack), to: out, mode: 0o600)
        print("box \(bundle.boxID): \(result.applied) applied, \(result.duplicates) already here, \(result.quarantined.count) quarantined; acknowledged through \(result.ackedThrough); \(out) written")
        if reopened > 0 { print("\(reopened) sealed credentials stored earlier without keys opened: those workers have their pseudonyms") }
    }
}
