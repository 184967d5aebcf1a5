import ArgumentParser
import Foundation
import StationCore
import StationHub
import StationProtocol

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Requests: a copy sent from the shelf that holds it to the worker's site.", subcommands: [Add.self, Show.self, Cancel.self, List.self])

    static func show(_ records: [RequestRecord], _ format: ListFormat, _ zone: TimeZone) {
        format.print(records, columns: ["request", "item_key", "pickup", "state", "since", "until", "at", "placed_by"]) { r in
            [r.id, r.itemKey, r.pickupSite, r.state.rawValue, HumanTime.text(r.sinceMillis, zone), r.untilMillis.map { HumanTime.text($0, zone) }, r.site,
                r.rotation.map { "rotation \($0)" } ?? (r.purpose == .move ? "move (\(r.client))" : r.client)]
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Request a copy (--item) or any copy of a title (--title) for a worker, to their pickup site. The worker's card or identity number is read from a file or standard input (-), never from the command line, and becomes the pseudonym at once.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "One copy: its item key (label:...).") var item: String?
        @Option(help: "Any copy of this title (the catalog's title text).") var title: String?
        @Option(help: "Where the worker collects it.") var pickup: String
        @Option(help: "A file holding the worker's card or identity number, or - for standard input.") var number: String = "-"
        @Option(help: "resident-id, member-card or card-uid (default: an identity number if it is one, else a member card).") var kind: String?
        @Option(help: "The hub's key directory (pseudonyms; default: the settings file's [keys] dir).") var keys: String?
        func run() async throws {
            let hubKeys = try hub.hubKeys(keys, neededFor: "turning the worker's number into their pseudonym")!
            let ask = RequestAsk(itemKey: item, title: title, pickupSite: pickup, number: try readSecret(number, what: "card or identity number"), numberKind: kind)
            let placed = try await hub.with { try await $0.placeRequest(ask, keys: hubKeys, client: "cli", by: .process) }
            RequestCommand.show([placed], format, try hub.timeZone)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where one request stands.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Argument(help: "The request's id.") var id: String
        func run() async throws {
            let id = id
            RequestCommand.show([try await hub.with { try await $0.request(id) }], format, try hub.timeZone)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an open request: its copy is free again (one on its way still arrives, and goes back on the shelf).")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Argument(help: "The request's id.") var id: String
        func run() async throws {
            let id = id
            RequestCommand.show([try await hub.with { try await $0.cancelRequest(id, client: nil, by: .process) }], format, try hub.timeZone)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requests, newest first: a site's (its pickups and the copies it holds), in a state.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        @Option(help: "Only this site's.") var site: String?
        @Option(help: "placed, in-transit, ready, collected, expired or cancelled.") var state: String?
        @Option(help: "Most requests.") var limit = 100
        func run() async throws {
            var parsed: Requests.State?
            if let state {
                guard let s = Requests.State(rawValue: state) else {
                    throw CommandError("--state \(state): one of \(Requests.State.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsed = s
            }
            let (site, limit, wanted) = (site, limit, parsed)
            RequestCommand.show(try await hub.with { try await $0.requests(site: site, state: wanted, limit: limit) }, format, try hub.timeZone)
        }
    }
}

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Applications that place requests through the API (the union's app), each with its own token.", subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a client; its token is printed once (only its hash is kept).")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The client's name.") var name: String
        @Option(help: "What it may do (comma-separated): requests.") var scope: String
        @Option(help: "Its webhook: each change of a request it placed is POSTed there.") var notifyURL: String?
        func run() async throws {
            let (name, scopes, url) = (name, scope.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, notifyURL)
            let token = try await hub.with { try await $0.addClient(name, scope: scopes, notifyURL: url) }
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The clients, their scopes and webhooks.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        func run() async throws {
            let zone = try hub.timeZone
            format.print(try await hub.with { try await $0.clients() }, columns: ["name", "scope", "notify_url", "added", "revoked"]) {
                [$0.name, $0.scope.joined(separator: ","), $0.notifyURL, HumanTime.text($0.createdMillis, zone), $0.revokedMillis.map { HumanTime.text($0, zone) }]
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a client: its token is refused from now on.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The client's name.") var name: String
        func run() async throws {
            let name = name
            try await hub.with { try await $0.revokeClient(name) }
            print("client \(name) revoked")
        }
    }
}
