import ArgumentParser
import Foundation
import Glibc
import Logging
import StationConfigFile
import StationCore
import StationDaemon
import StationInput
import StationProtocol
import StationSystem

@main
enum StationdMain {
    /// Swift's tasks on NIO's event loops before the first one starts, so an idle box is
    /// not woken once a second by libdispatch (QuietThreads).
    static func main() async {
        if !QuietThreads.runConcurrencyOnNIO() {
            FileHandle.standardError.write(Data("stationd: Swift's tasks stay on libdispatch's workqueue (its executor hook is taken or unknown to this build): an idle box wakes once a second\n".utf8))
        }
        await Stationd.main()
    }
}

struct Stationd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationd",
        abstract: "The Station box daemon: scanners in, durable records out.",
        subcommands: [RunCommand.self, CheckConfig.self, Listen.self, HWRules.self, Prompts.self])
}

struct DeviceTableOptions: ParsableArguments {
    @Option(name: .customLong("device-table"), help: "Device table file; repeat to layer overrides (default: /usr/share/station/devices.conf, then /etc/station/devices.conf).")
    var deviceTables: [String] = []

    func load() throws -> DeviceTable {
        let paths = deviceTables.isEmpty ? DeviceTableLoader.defaultPaths() : deviceTables
        if paths.isEmpty {
            throw ValidationError("no device table found: give --device-table hw/devices.conf or install it to /usr/share/station/devices.conf")
        }
        do {
            return try DeviceTableLoader.load(paths: paths)
        } catch {
            throw ValidationError("device table:\n\(error)")
        }
    }
}

struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Discover scanners and print what they send, one JSON object per line. Records nothing.")

    @Flag(help: "One JSON object per line (the only output format).")
    var json = false

    @Option(name: .customLong("scanner"), help: "Treat VENDOR:PRODUCT (hex, e.g. 1eab:0103) as a scanner for this run. Repeatable.")
    var scanners: [String] = []

    @Flag(help: "Print credential-shaped scans (identity numbers, anything an ID reader sends) unmasked.")
    var raw = false

    @OptionGroup var table: DeviceTableOptions

    func validate() throws {
        for s in scanners where InputService.parseVendorProduct(s) == nil {
            throw ValidationError("--scanner \(s): expected VENDOR:PRODUCT as 4 hex digits each, e.g. 1eab:0103")
        }
    }

    func run() throws {
        bootstrapLogging()
        signal(SIGPIPE, SIG_IGN)
        let logger = Logger(label: "stationd.listen")
        try Listener.run(table: try table.load(), extraScanners: scanners, raw: raw, logger: logger) { line in
            // One line per report, flushed at once: this is read through pipes.
            if !StandardOutput.writeLine(line) { Glibc.exit(0) }
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the box: scanners in, durable records out.")

    @Option(help: "The config file.")
    var config: String = StationConfig.defaultPath

    @Flag(name: .customLong("print"), help: "Print one JSON line per outcome to standard output.")
    var printOutcomes = false

    func run() async throws {
        bootstrapLogging()
        signal(SIGPIPE, SIG_IGN)
        let logger = Logger(label: "stationd")
        let loaded: StationConfig
        switch StationConfig.load(path: config) {
        case .success(let c): loaded = c
        case .failure(let problems): throw CommandError("config:\n\(problems)")
        }
        let table: DeviceTable
        do { table = try DeviceTableLoader.load(paths: loaded.deviceTables) } catch { throw CommandError("device table:\n\(error)") }
        let printing = printOutcomes
        try await Daemon.run(config: loaded, configPath: config, table: table, logger: logger) { line in
            if printing && !StandardOutput.writeLine(line.rendered) { Glibc.exit(0) }
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check the config and the device tables it names; every problem with file, line and key.")

    @Option(help: "The config file.")
    var config: String = StationConfig.defaultPath

    func run() throws {
        let report = ConfigCheck.run(path: config, published: BoxKeys.published(stateDirectory:))
        for line in report.lines { StandardOutput.writeLine(line) }
        if !report.ok { throw ExitCode(1) }
    }
}

struct Prompts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Print the voice prompts, one per line: FILE<TAB>ESPEAK-VOICE<TAB>TEXT (scripts/voices renders them).")

    func run() throws {
        for language in FeedbackLanguage.allCases {
            for prompt in Prompt.all {
                // Pinyin with tone numbers: espeak-ng's cmn-latn-pinyin voice reads the tones.
                let (voice, text) = language == .zh ? ("cmn-latn-pinyin", prompt.pinyin) : ("en", prompt.english)
                print("\(prompt.fileName(language))\t\(voice)\t\(text)")
            }
        }
    }
}

struct HWRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hw-rules", abstract: "Print the udev rules generated from the device table.")

    @Argument(help: "The device table.")
    var table: String = "hw/devices.conf"

    func run() throws {
        let loaded: DeviceTable
        do { loaded = try DeviceTableLoader.load(paths: [table]) } catch { throw ValidationError("\(error)") }
        print(UdevRules.render(loaded), terminator: "")
    }
}

func bootstrapLogging() {
    StationLogging.bootstrap()
}
