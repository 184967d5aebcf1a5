import StationConfigFile
import StationCore
import StationStore

/// The printable sheets the manager page offers (`/cards/control`, `/cards/items`,
/// `?page=N` for later pages): the same sheets as `stationctl cards`.
enum CardSheets {
    struct PageError: Error, CustomStringConvertible {
        var description: String
        var notFound: Bool
    }

    static func sheet(kind: String, page: Int, config: StationConfig, reader: JournalReader) throws -> String {
        let sheet: PrintableCards.Sheet
        switch kind {
        case "control":
            sheet = try PrintableCards.controlSheet(config: config)
        case "items":
            sheet = try PrintableCards.itemLabelSheet(config: config, reader: reader)
        default:
            throw PageError(description: "no such sheet: \(kind) (control or items)", notFound: true)
        }
        guard sheet.pages.indices.contains(page - 1) else {
            throw PageError(description: "the \(kind) sheet has \(sheet.pages.count) page(s), not \(page)", notFound: true)
        }
        return sheet.pages[page - 1]
    }
}
