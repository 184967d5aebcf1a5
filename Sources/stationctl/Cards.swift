import ArgumentParser
import Foundation
import StationCore
import StationDaemon
import StationStore

/// Exit codes: 0 the sheet was written; 1 nothing to print (no catalog yet) or a file
/// could not be written; 64 a usage error (the config has problems).
struct Cards: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the box's control cards or its site's item labels: A4 pages of Code 128 labels (SVG).",
        discussion: """
            One SVG document per A4 page; print at 100 %. With --out, page 1 goes to \
            FILE.svg and further pages to FILE-2.svg, FILE-3.svg, …; without it a one-page \
            sheet is written to standard output.
            """,
        subcommands: [Control.self, Items.self])

    struct Options: ParsableArguments {
        @Option(help: "The config file.")
        var config = StationConfig.defaultPath

        @Option(help: "Write the sheet to this SVG file (further pages beside it).")
        var out: String?

        func load() throws -> StationConfig {
            switch StationConfig.load(path: config) {
            case .success(let c): return c
            case .failure(let problems): throw ValidationError("the config has problems (stationctl check-config):\n\(problems)")
            }
        }

        /// Writes the pages, then the warnings on standard error.
        func write(_ sheet: PrintableCards.Sheet) throws {
            for warning in sheet.warnings { Self.note(Words.say("warning: ", "警告：") + warning) }
            guard let out else {
                guard sheet.pages.count == 1 else {
                    throw RuntimeFailure(description: "the sheet has \(sheet.pages.count) pages: give --out FILE.svg (one file per page)")
                }
                guard StandardOutput.writeLine(String(sheet.pages[0].dropLast())) else { throw ExitCode(1) }
                return
            }
            let files = sheet.pages.indices.map { Self.pageFile(out, page: $0 + 1) }
            for (file, page) in zip(files, sheet.pages) {
                do { try Data(page.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                    throw RuntimeFailure(description: "cannot write \(file): \(error.localizedDescription)")
                }
            }
            Self.note(Words.say("\(files.count) page(s): ", "共 \(files.count) 页：") + files.joined(separator: ", "))
        }

        /// A line for the manager on standard error, so that standard output stays the SVG.
        static func note(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }

        /// `cards.svg` for page 1, `cards-2.svg` for page 2.
        static func pageFile(_ out: String, page: Int) -> String {
            guard page > 1 else { return out }
            let url = URL(fileURLWithPath: out)
            let ext = url.pathExtension
            let stem = url.deletingPathExtension().path
            return ext.isEmpty ? "\(out)-\(page)" : "\(stem)-\(page).\(ext)"
        }
    }

    struct Control: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The control cards this box acts on at its site: modes at a bookshelf, services at huts and stations, done and cancel.")

        @OptionGroup var options: Options

        func run() throws {
            let config = try options.load()
            do { try options.write(try PrintableCards.controlSheet(config: config)) } catch let failure as PrintableCards.Failure {
                throw RuntimeFailure(description: failure.description)
            }
        }
    }

    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Item labels for the books whose home is this box's site, from the catalog the hub sent down (the journal's cache).")

        @OptionGroup var options: Options

        func run() throws {
            let config = try options.load()
            let catalog: [(itemKey: String, title: String?)]
            do {
                catalog = try JournalReader(directory: config.stateDirectory).catalog(homeSite: config.siteID)
            } catch {
                throw RuntimeFailure(description: "cannot read the journal in \(config.stateDirectory) (\(error)): start stationd and let it sync once")
            }
            do { try options.write(try PrintableCards.itemLabelSheet(config: config, catalog: catalog)) } catch let failure as PrintableCards.Failure {
                throw RuntimeFailure(description: failure.description)
            }
        }
    }
}
