import ArgumentParser
import Foundation
import StationHub

struct StocktakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stocktake", abstract: "What a site's stocktake found (stationhub report stocktake --site S) and the corrections it offers.",
        subcommands: [Accept.self])

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the implied returns of a site's latest stocktake: copies the ledger had on loan, seen on the shelf. Each becomes a return at the moment it was seen, recorded as an audited correction; the boxes' events are not edited.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The site whose latest stocktake it is.") var site: String
        @Option(help: "Only this copy (item key); repeat for several. Default: every implied return.") var item: [String] = []
        func run() async throws {
            let (site, items) = (site, item)
            let returned = try await hub.with { try await $0.acceptImpliedReturns(site: site, items: items.isEmpty ? nil : items, by: .process) }
            for key in returned { print("returned \(key)") }
            print("\(returned.count) implied return(s) accepted at \(site)")
        }
    }
}
