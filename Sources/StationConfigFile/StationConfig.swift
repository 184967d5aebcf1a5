import Foundation
import StationCore
import TOMLKit

/// `station.toml`: one file for the box. Every key is known; an unknown key is an error
/// with its line, as is every other problem.
public struct StationConfig: Sendable {
    public var boxID: String
    public var siteID: String
    public var stateDirectory: String
    /// The local admin socket `stationctl` talks to.
    public var adminSocket: String
    public var timeZone: String
    public var deviceTables: [String]
    public var kiosk: KioskSettings
    public var itemLabelPatterns: [String]
    public var memberCardPatterns: [String]
    public var memberCardLuhn: Bool
    /// The hub's X25519 public key credentials are sealed to, and its version.
    public var hubPublicKey: String?
    public var hubKeyVersion: Int
    /// Allow plain HTTP to a hub that is not on this machine.
    public var hubInsecure: Bool
    /// PEM file of the CA(s) the hub's certificate must chain to (nil: the system's).
    public var hubCAFile: String?
    /// Most events in one upload (smaller on a poor link: less to resend).
    public var hubBatchEvents: Int
    /// The ceiling of the retry backoff, seconds.
    public var hubRetryMaxSeconds: Int
    /// The hub's Ed25519 e-card keys by key id (base64 raw keys).
    public var eCardKeys: [String: String]
    public var journalSynchronous: String
    public var retentionDays: Int
    public var sensitiveVisitRetentionDays: Int
    /// Tones, LED blinks and voice prompts per outcome (`[feedback]`).
    public var feedback = FeedbackSettings()
    /// The kiosk and manager pages (`[pages]`).
    public var pages = PagesSettings()

    public static let defaultPath = "/etc/station/station.toml"

    /// No `[box] id` and `site` in the file: the box takes both from the hub when its
    /// enrollment card is scanned (`boxID` and `siteID` are empty until `adopting` them).
    public var identityFromCard: Bool { boxID.isEmpty }

    /// This config with the identity the hub gave at enrollment.
    public func adopting(boxID: String, siteID: String) -> StationConfig {
        var c = self
        c.boxID = boxID
        c.siteID = siteID
        c.kiosk.siteID = siteID
        return c
    }

    /// Keys that examples shipped as `hub.public_key`: a box sealing to one seals to a key
    /// no hub holds.
    static let placeholderKeys: Set<String> = ["Yz4m0n5sP1u7V3c2b9XqkZLwq6s8f0rT2yU4iO6pA1E="]

    public typealias Problem = ConfigProblem
    public typealias ProblemList = ConfigProblems

    static let schema: [String: [String: String]] = [
        "box": ["id": "string", "site": "string", "state_dir": "string", "time_zone": "string", "device_tables": "strings", "admin_socket": "string"],
        "site": [
            "kind": "string", "services": "strings", "session_timeout_seconds": "int", "double_read_window_ms": "int",
            "max_loans": "int", "over_limit": "string", "loan_days": "int", "visit_max_minutes": "int",
        ],
        "codes": ["item_label_patterns": "strings", "member_card_patterns": "strings", "member_card_luhn": "bool"],
        "hub": ["public_key": "string", "key_version": "int", "ecard_keys": "table", "insecure": "bool", "ca_file": "string", "batch_events": "int", "retry_max_seconds": "int"],
        "journal": ["synchronous": "string", "retention_days": "int", "sensitive_visit_retention_days": "int"],
        "feedback": [
            "language": "string", "beeper": "string", "leds": "bool", "voice": "string", "voice_dir": "string", "player": "strings",
            "signals": "table",
        ],
        "pages": ["kiosk_port": "int", "manager_listen": "string", "manager_password": "string"],
    ]

    /// Reads and checks a config file; every problem found is returned, not only the first.
    public static func load(path: String) -> Result<StationConfig, ProblemList> {
        TOMLDocument.text(path: path).flatMap { parse($0, file: path) }
    }

    public static func parse(_ text: String, file: String) -> Result<StationConfig, ProblemList> {
        let document: TOMLDocument
        switch TOMLDocument.parse(text, file: file, schema: schema) {
        case .success(let d): document = d
        case .failure(let problems): return .failure(problems)
        }
        let (table, problems) = (document.table, document.problems)
        let fail = problems.fail
        let r = document.reader
        let (string, int, strings, positive) = (r.string, r.int, r.strings, r.positive)

        // Both or neither: a box written from one image for a whole union takes both from
        // the enrollment card it is given (the hub knows which box a token is for).
        let boxID = string("box", "id"), siteID = string("box", "site")
        if (boxID == nil) != (siteID == nil) {
            fail("box", "give both box.id and box.site, or neither (the box then takes both from its enrollment card)")
        }
        if boxID == "" || siteID == "" { fail("box", "box.id and box.site must not be empty (leave both out to take them from the enrollment card)") }
        let timeZone = string("box", "time_zone") ?? "Asia/Shanghai"
        if TimeZone(identifier: timeZone) == nil { fail("box.time_zone", "unknown time zone \(timeZone)") }
        let kiosk = parseKiosk(r, siteID: siteID ?? "")
        for (i, p) in (strings("codes", "item_label_patterns") + strings("codes", "member_card_patterns")).enumerated() {
            if (try? CodePattern(name: "\(i)", pattern: p)) == nil { fail("codes", "`\(p)` is not a valid regular expression") }
        }
        var eCardKeys: [String: String] = [:]
        if let t = table["hub"]?.table?["ecard_keys"]?.table {
            for k in t.keys {
                if let v = t[k]?.string { eCardKeys[k] = v } else { fail("hub.ecard_keys", "\(k) must be a base64 string") }
            }
        }
        let synchronous = string("journal", "synchronous") ?? "FULL"
        // Anything weaker would tell outcomes before they are on the disk.
        if !["FULL", "EXTRA"].contains(synchronous) { fail("journal.synchronous", "must be FULL (or EXTRA)") }

        if let key = string("hub", "public_key") {
            if placeholderKeys.contains(key) {
                fail("hub.public_key", "the example's placeholder, not your hub's key: remove public_key and key_version (enrollment gives the box the hub's own)")
            } else if Data(base64Encoded: key)?.count != 32 {
                fail("hub.public_key", "not a base64 X25519 public key (32 bytes); remove it to take the hub's at enrollment")
            }
        }
        if let ca = string("hub", "ca_file"), !FileManager.default.isReadableFile(atPath: ca) {
            fail("hub.ca_file", "\(ca) cannot be read")
        }
        let batchEvents = positive("hub", "batch_events", 2000, 1...2000)
        let retentionDays = positive("journal", "retention_days", 180, 1...3650)
        let sensitiveDays = positive("journal", "sensitive_visit_retention_days", 7, 1...3650)
        let feedback = parseFeedback(table["feedback"]?.table, fail: fail)
        let pages = parsePages(table["pages"]?.table, fail: fail)
        guard problems.list.isEmpty else { return .failure(ProblemList(problems.list)) }
        var config =
            StationConfig(
                boxID: boxID ?? "", siteID: siteID ?? "", stateDirectory: string("box", "state_dir") ?? "/var/lib/station",
                adminSocket: string("box", "admin_socket") ?? "/run/station/admin.sock", timeZone: timeZone,
                deviceTables: table["box"]?.table?["device_tables"] != nil ? strings("box", "device_tables") : DeviceTableLoader.installedPaths,
                kiosk: kiosk, itemLabelPatterns: strings("codes", "item_label_patterns"), memberCardPatterns: strings("codes", "member_card_patterns"),
                memberCardLuhn: table["codes"]?.table?["member_card_luhn"]?.bool ?? false, hubPublicKey: string("hub", "public_key"),
                hubKeyVersion: int("hub", "key_version") ?? 1, hubInsecure: table["hub"]?.table?["insecure"]?.bool ?? false,
                hubCAFile: string("hub", "ca_file"), hubBatchEvents: batchEvents,
                hubRetryMaxSeconds: positive("hub", "retry_max_seconds", 300, 1...3600), eCardKeys: eCardKeys, journalSynchronous: synchronous,
                retentionDays: retentionDays, sensitiveVisitRetentionDays: sensitiveDays)
        config.feedback = feedback
        config.pages = pages
        return .success(config)
    }

    /// `[site]`: what the kiosk workflow is configured with.
    static func parseKiosk(_ r: TOMLDocument.Reader, siteID: String) -> KioskSettings {
        let (string, strings, positive, fail) = (r.string, r.strings, r.positive, r.fail)
        var kind = KioskSettings.SiteKind.bookshelf
        if let k = string("site", "kind") {
            if let parsed = KioskSettings.SiteKind(rawValue: k) { kind = parsed } else { fail("site.kind", "must be one of bookshelf, hut, station") }
        } else {
            fail("site", "site.kind is required (bookshelf, hut or station)")
        }
        var overLimit = KioskSettings.LimitPolicy.warn
        if let o = string("site", "over_limit") {
            if let parsed = KioskSettings.LimitPolicy(rawValue: o) { overLimit = parsed } else { fail("site.over_limit", "must be warn or refuse") }
        }
        return KioskSettings(
            siteID: siteID, siteKind: kind,
            sessionTimeoutMillis: Int64(positive("site", "session_timeout_seconds", 60, 5...3600)) * 1000,
            doubleReadWindowMillis: Int64(positive("site", "double_read_window_ms", 1500, 0...10_000)),
            maxLoans: positive("site", "max_loans", 5, 1...100), overLimit: overLimit, loanDays: positive("site", "loan_days", 30, 1...365),
            visitMaxMinutes: positive("site", "visit_max_minutes", 120, 1...1440), services: strings("site", "services"))
    }

    static func parseFeedback(_ t: TOMLTable?, fail: (String?, String) -> Void) -> FeedbackSettings {
        var f = FeedbackSettings()
        guard let t else { return f }
        if let l = t["language"]?.string {
            if let parsed = FeedbackLanguage(rawValue: l) { f.language = parsed } else { fail("feedback.language", "must be zh or en") }
        }
        if let b = t["beeper"]?.string {
            switch b {
            case "auto": f.beeper = .auto
            case "off": f.beeper = .off
            case _ where b.hasPrefix("/"): f.beeper = .devnode(b)
            default: fail("feedback.beeper", "must be auto, off or the path of an evdev node (e.g. /dev/input/by-path/platform-pcspkr-event-spkr)")
            }
        }
        if let b = t["leds"]?.bool { f.leds = b }
        if let v = t["voice"]?.string {
            if let parsed = FeedbackSettings.Voice(rawValue: v) { f.voice = parsed } else { fail("feedback.voice", "must be auto, on or off") }
        }
        if let d = t["voice_dir"]?.string { f.voiceDirectory = d }
        if let p = t["player"]?.array {
            let player = p.compactMap(\.string)
            if player.isEmpty { fail("feedback.player", "must name a program, e.g. [\"aplay\", \"-q\"]") } else { f.player = player }
        }
        var overrides: [Outcome: Signal] = [:]
        if let signals = t["signals"]?.table {
            for name in signals.keys {
                let key = "feedback.signals.\(name)"
                guard let outcome = Outcome(rawValue: name) else {
                    fail("feedback.signals", "\(name) is not an outcome (\(Outcome.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                guard let entry = signals[name]?.table else {
                    fail(key, "must be a table: { tones = \"880/90 1319/120\", leds = 1, voice = true }")
                    continue
                }
                var signal = FeedbackPlan.standard[outcome]!
                for field in entry.keys where !["tones", "leds", "voice"].contains(field) { fail(key, "unknown key \(field) (tones, leds, voice)") }
                if let tones = entry["tones"] {
                    if let text = tones.string {
                        do { signal.tones = try FeedbackPlan.tones(text) } catch { fail(key, "tones: \(error)") }
                    } else {
                        fail(key, "tones must be a string such as \"880/90 1319/120\"")
                    }
                }
                if let leds = entry["leds"] {
                    if let n = leds.int, (0...8).contains(n) { signal.ledBlinks = n } else { fail(key, "leds must be 0 to 8 blinks") }
                }
                if let voice = entry["voice"] {
                    if let b = voice.bool { signal.voice = b } else { fail(key, "voice must be true or false") }
                }
                overrides[outcome] = signal
            }
        }
        f.plan = FeedbackPlan(overrides: overrides)
        return f
    }

    static func parsePages(_ t: TOMLTable?, fail: (String?, String) -> Void) -> PagesSettings {
        var p = PagesSettings()
        guard let t else { return p }
        if let port = t["kiosk_port"]?.int {
            if port == -1 { p.kioskPort = nil } else if (0...65535).contains(port) { p.kioskPort = port } else { fail("pages.kiosk_port", "must be a port (0 picks one, -1 turns the page off)") }
        }
        if let listen = t["manager_listen"]?.string {
            if let colon = listen.lastIndex(of: ":"), colon != listen.startIndex, let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) {
                p.managerHost = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                p.managerPort = port
            } else {
                fail("pages.manager_listen", "must be HOST:PORT, e.g. 127.0.0.1:8481 (0.0.0.0:8481 opens it to the network)")
            }
        }
        if let password = t["manager_password"]?.string {
            if password.count < 8 { fail("pages.manager_password", "must be at least 8 characters") } else { p.managerPassword = password }
        }
        if p.managerPassword != nil, let kiosk = p.kioskPort, kiosk != 0, kiosk == p.managerPort {
            fail("pages.manager_listen", "port \(kiosk) is the kiosk page's too (pages.kiosk_port)")
        }
        return p
    }
}
