import ArgumentParser
import Foundation
import StationConfigFile
import StationDaemon
import StationInput
import StationProtocol
import StationStore
import StationSystem

struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("socket"), help: "The daemon's admin socket.")
    var socket = "/run/station/admin.sock"

    /// The daemon's answer, or nil when it is not running.
    func ask(_ request: String) -> [String: Any]? {
        guard let reply = UnixClient.request(path: socket, line: request) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(reply.utf8))) as? [String: Any]
    }
}

/// Human output in Chinese when LANG asks for it, else English.
enum Words {
    static let chinese = (ProcessInfo.processInfo.environment["LC_ALL"] ?? ProcessInfo.processInfo.environment["LANG"] ?? "").hasPrefix("zh")

    static func say(_ en: String, _ zh: String) -> String { chinese ? zh : en }

    /// A moment in the box's zone, ISO 8601.
    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone.current
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func siteKind(_ kind: String) -> String {
        switch kind {
        case "bookshelf": say("workers' bookshelf", "职工书屋")
        case "hut": say("love mother hut", "爱心妈妈小屋")
        case "station": say("outdoor-worker station", "户外劳动者服务站")
        default: kind
        }
    }
}

/// Exit codes: 0 the daemon runs; 3 it does not (what the journal says is shown);
/// 1 neither the daemon nor the journal could be read.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Is the box working: daemon, scanners, what waits for the hub.")

    @OptionGroup var admin: AdminOptions
    @OptionGroup var state: StateOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        if let s = admin.ask("status") {
            if json {
                StandardOutput.writeLine(String(decoding: try JSONSerialization.data(withJSONObject: s, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            let box = s["box_id"] as? String ?? "?", site = s["site_id"] as? String ?? "?"
            StandardOutput.writeLine(Words.say(
                "stationd: running (box \(box), site \(site), \(Words.siteKind(s["site_kind"] as? String ?? "")))",
                "stationd：运行中（设备 \(box)，站点 \(site)，\(Words.siteKind(s["site_kind"] as? String ?? ""))）"))
            StandardOutput.writeLine(Words.say("scanners: \(s["scanners"] ?? 0)", "扫描器：\(s["scanners"] ?? 0) 台"))
            StandardOutput.writeLine(Words.say("waiting for the hub: \(s["pending"] ?? 0) events", "待同步：\(s["pending"] ?? 0) 条记录"))
            let beepers = (s["beepers"] as? [String]) ?? []
            let voice = s["voice"] as? Bool ?? false
            StandardOutput.writeLine(Words.say(
                "feedback: \(beepers.isEmpty ? "no beeper" : "beeper " + beepers.joined(separator: ", ")), voice \(voice ? "on" : "off")",
                "提示：\(beepers.isEmpty ? "无蜂鸣器" : "蜂鸣器 " + beepers.joined(separator: "、"))，语音\(voice ? "开" : "关")"))
            let last = s["last_sync"] as? String ?? "never"
            StandardOutput.writeLine(Words.say("last sync: \(last)", "上次同步：\(last.hasPrefix("never") ? "从未" + last.dropFirst(5) : last)"))
            if let version = s["hub_key_version"] as? Int {
                StandardOutput.writeLine(Words.say("identities sealed to the hub's key version \(version)", "身份信息以中心密钥第 \(version) 版加密"))
            } else {
                StandardOutput.writeLine(Words.say(
                    "no hub key: enroll this box (scan its enrollment card); until then worker cards are refused", "尚无中心密钥：请先登记本设备（扫描设备登记卡）；登记前职工卡将被拒绝"))
            }
            if let site = s["hub_site"] as? String {
                StandardOutput.writeLine(Words.say(
                    "the hub has this box at site \(site): set [box] site = \"\(site)\" in the config and restart stationd",
                    "中心登记本设备在站点 \(site)：请在配置中设 [box] site = \"\(site)\" 并重启 stationd"))
            }
            return
        }
        let reader = try state.reader()
        let pending = try reader.pendingCount()
        let last = try reader.events().last
        if json {
            StandardOutput.writeLine(
                JSONLine([
                    ("daemon", .string("not running")), ("pending", .int(pending)), ("last_seq", last.map { .int(Int($0.seq)) } ?? .null),
                ]).rendered)
        } else {
            StandardOutput.writeLine(Words.say("stationd: not running (read from the journal)", "stationd：未运行（以下读自本地记录）"))
            StandardOutput.writeLine(Words.say("waiting for the hub: \(pending) events", "待同步：\(pending) 条记录"))
            if let last { StandardOutput.writeLine(Words.say("last event: seq \(last.seq), \(last.draft.kind.rawValue)", "最后一条记录：序号 \(last.seq)，\(last.draft.kind.rawValue)")) }
        }
        throw ExitCode(3)
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Scanners attached and grabbed, and devices ignored (with a hint when one looks like a scanner).")

    @OptionGroup var admin: AdminOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard let d = admin.ask("devices") else {
            StandardOutput.writeLine(Words.say("stationd is not running: only the running daemon knows the devices", "stationd 未运行：设备信息只有运行中的守护进程知道"))
            throw ExitCode(3)
        }
        if json {
            StandardOutput.writeLine(String(decoding: try JSONSerialization.data(withJSONObject: d, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        for s in d["attached"] as? [[String: Any]] ?? [] {
            let grabbed = (s["grabbed"] as? Bool ?? false) ? Words.say("grabbed", "已独占") : ""
            StandardOutput.writeLine("\(s["scanner"] ?? "?")  \(s["devnode"] ?? "?")  \(s["model"] ?? "?")  \(s["role"] ?? "?")  \(grabbed)")
        }
        for i in d["ignored"] as? [[String: Any]] ?? [] {
            var line = "\(i["devnode"] ?? "?")  \(i["vendor"] ?? "?"):\(i["product"] ?? "?")  " + Words.say("ignored: ", "未使用：") + "\(i["reason"] ?? "")"
            if let hint = i["hint"] as? String { line += "\n    " + Words.say("hint: ", "提示：") + hint }
            StandardOutput.writeLine(line)
        }
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Check the box's config; every problem with file, line and key.")

    @Option(help: "The config file.")
    var config = StationConfig.defaultPath

    @Flag(help: "One JSON object: ok, and every problem.")
    var json = false

    func run() throws {
        let report = ConfigCheck.run(path: config, published: BoxKeys.published(stateDirectory:))
        if json {
            StandardOutput.writeLine(JSONLine([("ok", .bool(report.ok)), ("lines", .array(report.lines.map { .string($0) }))]).rendered)
        } else {
            for line in report.lines { StandardOutput.writeLine(line) }
        }
        if !report.ok { throw ExitCode(1) }
    }
}

struct SyncNow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync-now", abstract: "Ask the daemon to send what waits for the hub now.")

    @OptionGroup var admin: AdminOptions

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        guard let reply = admin.ask("sync-now") else {
            StandardOutput.writeLine(json ? JSONLine([("daemon", .string("stopped"))]).rendered : Words.say("stationd is not running", "stationd 未运行"))
            throw ExitCode(3)
        }
        if let error = reply["error"] as? String {
            StandardOutput.writeLine(json ? JSONLine([("error", .string(error))]).rendered : error)
            throw ExitCode(1)
        }
        StandardOutput.writeLine(json ? JSONLine([("sync", .string("started"))]).rendered : Words.say("sync started", "已开始同步"))
    }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enroll this box at its hub with a one-time token (from `stationhub box add` or an enrollment card), read from standard input or a file.")

    @Argument(help: "The hub's URL, e.g. https://hub.example:8440") var url: String
    @Argument(help: "`-` to read the one-time token from standard input, or a file holding it (never the token itself: it would stay in shell history and show in ps).")
    var token: String
    @OptionGroup var state: StateOptions
    @OptionGroup var admin: AdminOptions

    @Flag(help: "Allow plain HTTP to a hub that is not on this machine.")
    var insecure = false

    @Option(help: "PEM file of the CA the hub's certificate chains to; kept with the link, so sync trusts the hub the same way.")
    var caFile: String?

    @Flag(help: "Replace this box's enrollment (after its hub revoked or replaced it): the old credential is dropped.")
    var replace = false

    @Flag(help: "One JSON object.")
    var json = false

    func run() async throws {
        let secret = try Self.token(token)
        if let held = HubLink.load(stateDirectory: state.stateDirectory), !replace {
            throw CommandError("this box is enrolled already (as \(held.boxID) at \(held.url)); a second token would replace its credential: give --replace if the hub revoked or replaced it")
        }
        var ca: String?
        if let caFile {
            let path = URL(fileURLWithPath: caFile).standardizedFileURL.path
            guard FileManager.default.isReadableFile(atPath: path) else { throw CommandError("cannot read the CA file \(path)") }
            ca = path
        }
        var link: HubLink
        let client: HubClient
        do { client = try HubClient(url: url, credential: nil, insecure: insecure, caFile: ca) } catch { throw CommandError("\(error)") }
        do {
            link = try await client.enroll(token: secret)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw CommandError("\(error)")
        }
        link.caFile = ca
        do { try link.save(stateDirectory: state.stateDirectory) } catch { throw CommandError("cannot save the hub link in \(state.stateDirectory): \(error)") }
        // A running daemon starts syncing now (over the new link, when it replaces one); a
        // stopped one when it starts.
        let syncing = admin.ask("start-sync")?["sync"] as? String == "started"
        if json {
            StandardOutput.writeLine(
                JSONLine([
                    ("enrolled", .bool(true)), ("box_id", .string(link.boxID)), ("site_id", .string(link.siteID)), ("hub", .string(link.url)),
                    ("syncing", .bool(syncing)),
                ]).rendered)
            return
        }
        StandardOutput.writeLine(
            syncing
                ? Words.say("enrolled as box \(link.boxID) of site \(link.siteID); stationd is syncing", "已登记为站点 \(link.siteID) 的设备 \(link.boxID)；stationd 已开始同步")
                : Words.say("enrolled as box \(link.boxID) of site \(link.siteID); stationd syncs when it starts",
                            "已登记为站点 \(link.siteID) 的设备 \(link.boxID)；stationd 启动后开始同步"))
    }

    /// The token from standard input (`-`) or a file; a token typed as the argument is
    /// refused (it would stay in shell history and show in ps).
    static func token(_ source: String) throws -> String {
        let data: Data?
        if source == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else if FileManager.default.isReadableFile(atPath: source) {
            data = FileManager.default.contents(atPath: source)
        } else {
            throw CommandError("give the token on standard input (`-`) or in a file, not as an argument: it would stay in shell history and show in ps")
        }
        guard let text = data.flatMap({ String(data: $0, encoding: .utf8) })?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw CommandError("no token in \(source == "-" ? "standard input" : source)")
        }
        return text
    }
}

/// A failure at run time (not a usage error): `Error: ...`, exit 1.
