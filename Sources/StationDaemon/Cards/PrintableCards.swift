import StationConfigFile
import StationCore
import StationStore

/// The sheets a site manager prints for the box: its control cards, and item labels for
/// the books whose home is its site. Shared by `stationctl cards` and the manager's page.
public enum PrintableCards {
    /// A sheet: A4 pages (complete SVG documents, one per page) and what the manager
    /// should know about them.
    public struct Sheet: Sendable {
        public var pages: [String]
        /// Cards or labels that will not work as printed (a service with no card, a label
        /// the box will not take for a book).
        public var warnings: [String]

        public init(pages: [String], warnings: [String]) {
            self.pages = pages
            self.warnings = warnings
        }
    }

    /// Why a sheet cannot be made.
    public struct SheetError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The control cards the box's workflow acts on at this site (``ControlCardTable/cards(for:)``).
    public static func controlSheet(config: StationConfig, layout: LabelSheet.Layout = LabelSheet.Layout()) throws(SheetError) -> Sheet {
        let table = ControlCardTable.standard
        let cards = table.cards(for: config.kiosk)
        let warnings = table.servicesWithoutCard(for: config.kiosk).map {
            "service \($0) is offered at this site ([site] services) but no control card chooses it"
        }
        let heading = "控制卡 Control cards · \(config.siteID) (\(config.kiosk.siteKind.rawValue))"
        return Sheet(pages: try pages(heading: heading, labels: PrintedLabel.controlCards(cards), layout: layout), warnings: warnings)
    }

    /// Item labels for the books of `catalog` (the journal's catalog cache: see
    /// ``itemLabelSheet(config:)``) whose home is the config's site.
    /// Fails when there is nothing to print, saying why.
    public static func itemLabelSheet(
        config: StationConfig, catalog: [(itemKey: String, title: String?)], layout: LabelSheet.Layout = LabelSheet.Layout()
    ) throws(SheetError) -> Sheet {
        guard !catalog.isEmpty else {
            throw SheetError(description: "no books of site \(config.siteID) in the catalog cache yet: sync once")
        }
        let labels = PrintedLabel.itemLabels(catalog)
        guard !labels.isEmpty else {
            throw SheetError(
                description: "the catalog cache has \(catalog.count) books of site \(config.siteID), none with an item label "
                    + "(books known by ISBN carry their own bar code)")
        }
        let heading = "图书条码 Item labels · \(config.siteID)"
        return Sheet(pages: try pages(heading: heading, labels: labels, layout: layout), warnings: unreadable(labels, config: config))
    }

    /// The item-label sheet from the box's own catalog cache, read through `reader` (the
    /// manager page: the daemon's journal), else on a read-only connection of its own
    /// (`stationctl cards items`; the daemon may be running).
    public static func itemLabelSheet(config: StationConfig, reader: JournalReader? = nil) throws(SheetError) -> Sheet {
        let catalog: [(itemKey: String, title: String?)]
        do {
            catalog = try (reader ?? JournalReader(directory: config.stateDirectory)).catalog(homeSite: config.siteID)
        } catch {
            throw SheetError(description: "cannot read the journal in \(config.stateDirectory) (\(error)): start stationd and let it sync once")
        }
        return try itemLabelSheet(config: config, catalog: catalog)
    }

    static func pages(heading: String, labels: [PrintedLabel], layout: LabelSheet.Layout) throws(SheetError) -> [String] {
        do { return try LabelSheet.pages(heading: heading, labels: labels, layout: layout) } catch { throw SheetError(description: error.description) }
    }

    /// Labels this box would not read back as the same item label: the config's item-label
    /// patterns miss them, or something that wins before item labels (a control card, an
    /// identity number) claims them.
    static func unreadable(_ labels: [PrintedLabel], config: StationConfig) -> [String] {
        let patterns = config.itemLabelPatterns.enumerated().compactMap { try? CodePattern(name: "item label \($0.offset + 1)", pattern: $0.element) }
        let recognizer = CodeRecognizer(itemLabels: patterns)
        let moment = CodeRecognizer.Moment.now(timeZone: config.timeZone)
        return labels.compactMap { label in
            let read = recognizer.recognize(label.code, at: moment)
            guard read != .book(BookCode(kind: .itemLabel, normalized: label.code)) else { return nil }
            return "label \(label.code) is read by this box as \(read.summary.kind), not as an item label: check [codes] item_label_patterns"
        }
    }
}
