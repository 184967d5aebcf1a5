import StationSystem
import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a box's offline bundle (stationctl export --bundle) and write the acknowledgement file for it.")

    @OptionGroup var db: DatabaseOption
    @Argument(help: "The bundle file.") var file: String
    @Option(help: "The hub's key directory (pseudonyms), as for serve.") var keys: String?
    @Option(name: .customLong("ack"), help: "Where to write the acknowledgement (default: the bundle's name + .ack).") var ackPath: String?

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file), let bundle = try? JSONDecoder().decode(SyncBundle.self, from: data) else {
            throw CommandError("\(file) is not a Station bundle")
        }
        let hubKeys = try keys.map { k in try HubKeys(directory: k) }
        let (result, ack) = try await db.with { try await $0.importBundle(bundle, keys: hubKeys) }
        let out = ackPath ?? file + ".ack"
        try OutputFile.write(try JSONEncoder().encode(ack), to: out, mode: 0o600)
        print("box \(bundle.boxID): \(result.applied) applied, \(result.duplicates) already here, \(result.quarantined.count) quarantined; acknowledged through \(result.ackedThrough); \(out) written")
    }
}

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "site", abstract: "Sites.", subcommands: [Add.self, Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set what the site's boxes use (sent down with their next sync): \(KioskSettings.hubSettings.keys.sorted().joined(separator: ", ")).")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The site's id.") var id: String
        @Argument(help: "KEY=VALUE pairs.") var settings: [String]
        func run() async throws {
            let pairs = try settings.map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ValidationError("\(pair): expected KEY=VALUE") }
                return kv
            }
            try await db.with { store in
                for kv in pairs {
                    try await store.setSiteSetting(site: id, key: kv[0], value: kv[1])
                    print("site \(id): \(kv[0]) = \(kv[1])")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The site's id.") var id: String
        @Option(help: "The region it is in (reports rank titles per region).") var region: String?
        func run() async throws {
            try await db.with { try await $0.addSite(id, region: region) }
            print("site \(id) created")
        }
    }
}

struct BoxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "box", abstract: "Boxes.", subcommands: [Add.self, Revoke.self, Log.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The warnings and errors a box uploaded from its device log.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Flag(help: "One JSON object per line.") var json = false
        func run() async throws {
            let lines = try await db.with { try await $0.deviceLog(box: id) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for l in lines {
                if json {
                    print(String(decoding: try encoder.encode(l), as: UTF8.self))
                } else {
                    let at = Date(timeIntervalSince1970: Double(l.atMillis) / 1000).formatted(.iso8601)
                    print("\(at) \(l.level) \(l.scannerID ?? "-") \(l.message)")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a box (or replace one) and print its one-time enrollment token.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "The site it stands at.") var site: String
        @Option(help: "Also write a printable enrollment card (SVG) here: a QR code the box scans to enroll itself.") var card: String?
        @Option(help: "The hub's URL as boxes reach it (for --card).") var url: String?

        func validate() throws {
            if card != nil && url == nil { throw ValidationError("--card needs --url (the hub's address as boxes reach it)") }
        }

        func run() async throws {
            let token = try await db.with { try await $0.addBox(id, site: site) }
            print(token)
            if let card, let url {
                let enrollment = EnrollmentCard(hubURL: url, token: token)
                guard case .success? = EnrollmentCard.parse(enrollment.payload) else { throw CommandError("\(url) is not an http(s) URL a box can reach") }
                let svg = try EnrollmentCardPrint.svg(enrollment, boxID: id, siteID: site)
                do { try OutputFile.write(Data(svg.utf8), to: card) } catch { throw CommandError("cannot write \(card): \(error)") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a box: it keeps recording locally; its uploads are refused with the reason.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "Why, for the site manager.") var reason: String
        func run() async throws {
            try await db.with { try await $0.revoke(id, reason: reason) }
            print("box \(id) revoked")
        }
    }
}

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "The union's catalog, sent down to boxes.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load titles from CSV: item_key,title,home_site (item_key as boxes record it: `label:...` or `isbn:...`).")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The CSV file.") var file: String
        func run() async throws {
            let rows = try readCSV(file, columns: 3, header: "item_key")
            for r in rows where r.fields[0].isEmpty { throw CommandError("\(file): line \(r.line): the item_key is empty") }
            let titles = rows.map { Downlink.Title(itemKey: $0.fields[0], title: $0.fields[1].isEmpty ? nil : $0.fields[1], homeSite: $0.fields[2].isEmpty ? nil : $0.fields[2]) }
            let changed = try await db.with { try await $0.importCatalog(titles) }
            print("\(titles.count) titles read, \(changed) new or changed")
        }
    }
}

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "member", abstract: "Members' card UIDs, sent down to boxes.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load card UIDs from CSV: card_uid,member_card. The member card number becomes the member's pseudonym and is not stored.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The hub's key directory (pseudonyms).") var keys: String
        func run() async throws {
            let hubKeys: HubKeys
            do { hubKeys = try HubKeys(directory: keys) } catch { throw CommandError("\(error)") }
            let rows = try readCSV(file, columns: 2, header: "card_uid")
            var members: [Downlink.Member] = []
            for r in rows {
                let uid = r.fields[0].uppercased()
                guard !uid.isEmpty, uid.allSatisfy(\.isHexDigit) else { throw CommandError("\(file): line \(r.line): a card UID is hex digits") }
                guard !r.fields[1].isEmpty else { throw CommandError("\(file): line \(r.line): the member card number is empty") }
                members.append(.init(cardUID: uid, member: hubKeys.pseudonym(RawCredential(kind: .memberCard, secret: r.fields[1]))))
            }
            let list = members
            let changed = try await db.with { try await $0.importMembers(list) }
            print("\(members.count) cards read, \(changed) new or changed")
        }
    }
}

