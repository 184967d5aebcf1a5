import ArgumentParser
import Foundation
import StationConfigFile
import StationCore
import StationDaemon
import StationProtocol

@main
struct Stationctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationctl",
        abstract: "The site manager's tool for a Station box.",
        subcommands: [Status.self, Devices.self, Logs.self, Pending.self, Pulls.self, StocktakeCommand.self, SyncNow.self, Enroll.self, Export.self, ImportAck.self, Parse.self, CheckConfigCommand.self, Cards.self])
}

/// Exit codes: 0 a valid code; 1 not valid (misread, or a code Station does not use);
/// 64 a usage error.
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what a scanned code is: kind, valid, normalized, reason.",
        discussion: """
            Give the code as an argument, or `-` to read it from standard input (so that an
            identity number appears neither in shell history nor in `ps`). Credentials are
            printed masked. With --lines, every line of standard input is one code and one
            JSON object is printed per line.
            """)

    @Argument(help: "The code, or - to read it from standard input.")
    var code: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Read one code per line from standard input; print one JSON object per line.")
    var lines = false

    @Option(help: "The AIM symbology identifier the scanner sent, e.g. ]E0.")
    var aim: String?

    @Flag(name: .customLong("id-reader"), help: "Judge the code as sent by an ID reader (card UIDs).")
    var idReader = false

    @Option(name: .customLong("item-label-pattern"), help: "A site item-label pattern (regular expression, whole match). Repeatable.")
    var itemLabelPatterns: [String] = []

    @Option(name: .customLong("member-card-pattern"), help: "A member-card pattern (regular expression, whole match). Repeatable.")
    var memberCardPatterns: [String] = []

    @Flag(help: "Member-card numbers carry a Luhn check digit.")
    var luhn = false

    @Option(name: .customLong("time-zone"), help: "The site's time zone, for birth dates in the future (default: the config's, or Asia/Shanghai).")
    var timeZone: String?

    @Option(help: "The box's config, whose item-label and member-card patterns and e-card keys the box judges codes by (default \(StationConfig.defaultPath), where it exists).")
    var config: String?

    func validate() throws {
        if lines && code != "-" { throw ValidationError("--lines reads standard input: give `-` as the code") }
        for p in itemLabelPatterns + memberCardPatterns where (try? CodePattern(name: "flag", pattern: p)) == nil {
            throw ValidationError("a pattern is not a valid regular expression: \(p)")
        }
    }

    /// The box's own recogniser (its config's patterns and keys), with the patterns given
    /// here added; only the flags' where there is no config.
    func recognizer() throws -> (CodeRecognizer, zone: String) {
        var box: StationConfig?
        let path = config ?? StationConfig.defaultPath
        if config != nil || FileManager.default.fileExists(atPath: path) {
            switch StationConfig.load(path: path) {
            case .success(let c): box = c
            case .failure(let problems): throw CommandError("the config has problems (stationctl check-config):\n\(problems)")
            }
        }
        do {
            var recognizer = try box.map { try Daemon.recognizer(for: $0) } ?? CodeRecognizer()
            recognizer.itemLabels += try itemLabelPatterns.enumerated().map { try CodePattern(name: "item label \($0.offset + 1)", pattern: $0.element) }
            recognizer.memberCards += try memberCardPatterns.enumerated().map { try CodePattern(name: "member card \($0.offset + 1)", pattern: $0.element, luhn: luhn) }
            return (recognizer, timeZone ?? box?.timeZone ?? "Asia/Shanghai")
        } catch {
            throw CommandError("a pattern or key cannot be used: \(error)")
        }
    }

    func run() throws {
        let (recognizer, zone) = try recognizer()
        let role: DeviceRole = idReader ? .idReader : .scanner
        let moment = CodeRecognizer.Moment.now(timeZone: zone)
        if lines {
            while let line = readLine(strippingNewline: true) {
                let text = line.hasSuffix("\r") ? String(line.dropLast()) : line
                StandardOutput.writeLine(recognizer.recognize(text, aim: aim, role: role, at: moment).jsonLine.rendered)
            }
            return
        }
        var text = code
        if code == "-" {
            guard let line = readLine(strippingNewline: true) else { throw CommandError("no code on standard input") }
            text = line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        let result = recognizer.recognize(text, aim: aim, role: role, at: moment)
        if json {
            StandardOutput.writeLine(result.jsonLine.rendered)
        } else {
            let s = result.summary
            StandardOutput.writeLine("kind:       \(s.kind)")
            StandardOutput.writeLine("valid:      \(s.valid)")
            StandardOutput.writeLine("normalized: \(s.normalized ?? "-")")
            StandardOutput.writeLine("reason:     \(s.reason ?? "-")")
        }
        if !result.summary.valid { throw ExitCode(1) }
    }
}
