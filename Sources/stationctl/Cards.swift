import ArgumentParser
import Foundation
import StationConfigFile
import StationCore
import StationDaemon
import StationProtocol
import StationStore
import StationSystem

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
        subcommands: [Control.self, Items.self, Enrollment.self])

    struct Options: ParsableArguments {
        @Option(help: "The config file.")
        var config = StationConfig.defaultPath

        @Option(help: "Write the sheet to this SVG file (further pages beside it).")
        var out: String?

        @Flag(help: "One JSON object: the pages (or with --out the files written) and the warnings.")
        var json = false

        func load() throws -> StationConfig {
            switch StationConfig.load(path: config) {
            case .success(let c): return c
            case .failure(let problems): throw CommandError("the config has problems (stationctl check-config):\n\(problems)")
            }
        }

        /// Writes the pages, then the warnings on standard error (or all of it as JSON).
        func write(_ sheet: PrintableCards.Sheet) throws {
            if !json { for warning in sheet.warnings { Self.note(Words.say("warning: ", "警告：") + warning) } }
            let warnings = JSONLine.Value.array(sheet.warnings.map { .string($0) })
            guard let out else {
                if json {
                    let line = JSONLine([("pages", .array(sheet.pages.map { .string($0) })), ("warnings", warnings)])
                    guard StandardOutput.writeLine(line.rendered) else { throw ExitCode(1) }
                    return
                }
                guard sheet.pages.count == 1 else {
                    throw CommandError("the sheet has \(sheet.pages.count) pages: give --out FILE.svg (one file per page)")
                }
                guard StandardOutput.writeLine(String(sheet.pages[0].dropLast())) else { throw ExitCode(1) }
                return
            }
            let files = sheet.pages.indices.map { Self.pageFile(out, page: $0 + 1) }
            for (file, page) in zip(files, sheet.pages) {
                do { try OutputFile.write(Data(page.utf8), to: file) } catch {
                    throw CommandError("cannot write \(file): \(error.localizedDescription)")
                }
            }
            if json {
                guard StandardOutput.writeLine(JSONLine([("files", .array(files.map { .string($0) })), ("warnings", warnings)]).rendered) else { throw ExitCode(1) }
                return
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
            do { try options.write(try PrintableCards.controlSheet(config: config)) } catch let failure as PrintableCards.SheetError {
                throw CommandError(failure.description)
            }
        }
    }

    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Item labels for the books whose home is this box's site, from the catalog the hub sent down (the journal's cache).")

        @OptionGroup var options: Options

        func run() throws {
            let config = try options.load()
            do { try options.write(try PrintableCards.itemLabelSheet(config: config)) } catch let failure as PrintableCards.SheetError {
                throw CommandError(failure.description)
            }
        }
    }

    /// The card is made where the token is known: the hub operator's `stationhub box add
    /// --card`, or here by the site manager the operator gave the URL and token to.
    struct Enrollment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The enrollment card of this box (a QR code it scans to enroll), from the hub's URL and a one-time token.")

        @OptionGroup var options: Options

        @Option(help: "The hub's address as the box reaches it (https://...).")
        var url: String

        @Option(help: "A file holding the token stationhub box add printed, or - for standard input (keeps it out of shell history).")
        var tokenFile: String

        func run() throws {
            let config = try options.load()
            let raw: String?
            if tokenFile == "-" {
                raw = readLine(strippingNewline: true)
            } else {
                raw = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.split(separator: "\n").first.map(String.init)
            }
            guard let token = raw?.trimmingCharacters(in: .whitespaces), !token.isEmpty else {
                throw CommandError("no token in \(tokenFile == "-" ? "standard input" : tokenFile)")
            }
            let card = EnrollmentCard(hubURL: url, token: token)
            switch EnrollmentCard.parse(card.payload) {
            case .success?: break
            case .failure(let problem)?: throw CommandError("this card would not enroll: \(problem.reason)")
            case nil: throw CommandError("\(url) is not an http(s) URL a box can reach")
            }
            let svg: String
            do { svg = try EnrollmentCardPrint.svg(card, boxID: config.boxID, siteID: config.siteID) } catch {
                throw CommandError("cannot draw the card: \(error)")
            }
            try options.write(PrintableCards.Sheet(pages: [svg], warnings: []))
        }
    }
}
