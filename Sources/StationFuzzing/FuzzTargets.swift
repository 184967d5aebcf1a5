import Crypto
import Foundation
import StationConfigFile
import StationCore
import StationProtocol

/// What the fuzzers feed: each target takes any bytes, runs one stage of Station the way
/// hostile or broken input reaches it, and stops the process (a precondition) when a
/// promise of that stage does not hold. A crash or a hang is a finding; so is a broken
/// promise. The same functions replay the kept corpus and every past finding in the unit
/// tests, and the `fuzz-*` executables run them under libFuzzer (`scripts/fuzz`).
public enum FuzzTargets {
    /// The hub's reading of a batch body, as from an enrolled box: gzip (when the bytes
    /// start like gzip), the JSON bounds, the decoding, what a box may claim.
    /// Promises: at most ``BodyIntake/maxBatchEvents`` events; an event's canonical text
    /// decodes to an event whose canonical text is the same (a resend hashes the same);
    /// every reason a box or an operator reads is plain (no Swift type, no debug text).
    public static func batch(_ data: [UInt8]) {
        let gzip = data.starts(with: [0x1f, 0x8b])
        let body: [UInt8]
        do {
            body = try BodyIntake.inflated(data, encoding: gzip ? "gzip" : nil)
        } catch {
            plain(error.message)
            return
        }
        let events: [IncomingEvent]
        do {
            events = try BodyIntake.batch(body, box: "box-0001").events
        } catch {
            plain(error.message)
            return
        }
        precondition(events.count <= BodyIntake.maxBatchEvents, "more events than a batch holds")
        for incoming in events {
            switch incoming {
            case .event(let event, let canonical):
                guard let again = try? JSONDecoder().decode(JournalEvent.self, from: Data(canonical.utf8)) else {
                    preconditionFailure("a canonical event does not decode: \(canonical)")
                }
                precondition(Canonical.text(again) == canonical, "the canonical text is not stable: \(canonical)")
                if let why = BoxClaims.protocolBreach(event) { plain(why) }
                if let why = BoxClaims.refusal(event) { plain(why) }
            case .unreadable(_, _, let reason):
                plain(reason)
            }
        }
    }

    /// A scanner's characters through a framer, each scan through the recogniser.
    /// The first byte chooses the framer's settings; then each pair of bytes is one input
    /// (a character, a suffix key, the idle deadline passing, events dropped) and the time
    /// since the last. Promises: no scan longer than the limit; a scan recognised twice
    /// gives the same verdict; a credential's number shows nowhere in what is printed of
    /// it; a misread's reason quotes none of the code's digits.
    public static func scan(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let settings = ScanFramer.Settings(
            suffix: [.enter, .tab, .none][Int(first % 3)], idleTimeoutMicros: 60_000, maxLength: 64 + Int(first >> 4) * 16,
            aimPrefix: first & 8 != 0)
        var framer = ScanFramer(settings: settings)
        var now: Int64 = 0
        var outputs: [ScanFramer.Output] = []
        var i = 1
        while i + 1 < data.count {
            let (op, arg) = (data[i], data[i + 1])
            i += 2
            now += Int64(op >> 3) * Int64(op >> 3) * 250
            switch op & 7 {
            case 0, 1, 2, 3: outputs += framer.feed(.text(character(arg), at: now))
            case 4: outputs += framer.feed(.terminator(.enter, at: now))
            case 5: outputs += framer.feed(.terminator(.tab, at: now))
            case 6:
                if let deadline = framer.deadline {
                    now = max(now, deadline)
                    outputs += framer.expire(now: now)
                }
            default: outputs += framer.abandon(discardRest: arg & 1 == 1, at: now) { .eventsDropped(partialLength: $0) }
            }
        }
        if let deadline = framer.deadline { outputs += framer.expire(now: max(now, deadline)) }
        for case .scan(let scan) in outputs {
            precondition(scan.text.count <= settings.maxLength, "a scan longer than the framer's limit")
            recognise(scan.text, aim: scan.aim)
        }
        recognise(String(decoding: data.dropFirst(), as: UTF8.self), aim: nil)
    }

    /// The box's config file. Promises: a refusal names at least one problem, each with
    /// its file; a config that parses parses the same again.
    public static func config(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        switch StationConfig.parse(text, file: "fuzz.toml") {
        case .failure(let list):
            precondition(!list.problems.isEmpty, "a refused config names no problem")
            for problem in list.problems { precondition(problem.file == "fuzz.toml", "a problem without its file") }
        case .success(let config):
            guard case .success(let again) = StationConfig.parse(text, file: "fuzz.toml") else { preconditionFailure("a config parsed once only") }
            precondition(again.boxID == config.boxID && again.siteID == config.siteID && again.kiosk == config.kiosk, "a config parsed two ways")
        }
    }

    // MARK: - What the targets share

    static func plain(_ message: String) {
        for leak in ["DecodingError", "Swift.", "Debug description", "CodingKeys", "Optional("] {
            precondition(!message.contains(leak), "a reason shows Swift's own text: \(message)")
        }
    }

    /// Characters a scanner can send, weighted towards what codes are made of; beyond
    /// the table, any Unicode scalar.
    static let alphabet = Array("0123456789X-]EQCd LIB- STE1.station-enroll:#/åé中书\u{0}\u{1d}")

    static func character(_ byte: UInt8) -> String {
        if Int(byte) < alphabet.count { return String(alphabet[Int(byte)]) }
        if byte < 0xc0 { return String(alphabet[Int(byte) % 10]) }
        return String(Character(Unicode.Scalar(UInt32(byte) * 97 % 0xD7FF) ?? "?"))
    }

    static let recognizer = CodeRecognizer(
        itemLabels: [try! CodePattern(name: "label", pattern: "LIB-[0-9]{6}")],
        memberCards: [try! CodePattern(name: "member", pattern: "[0-9]{12}", luhn: true)],
        eCardKeys: ["k1": try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)).publicKey])

    static let moment = CodeRecognizer.Moment(unixSeconds: 1_796_000_000, today: (2026, 12, 5))

    /// Runs of six or more digits: what of a number a reason could give away.
    static func digitRuns(_ text: String) -> [Substring] {
        text.split { !("0"..."9").contains($0) }.filter { $0.count >= 6 }
    }

    static func recognise(_ text: String, aim: String?) {
        for role in [DeviceRole.scanner, .idReader] {
            let verdict = recognizer.recognize(text, aim: aim, role: role, at: moment)
            precondition(verdict == recognizer.recognize(text, aim: aim, role: role, at: moment), "one scan, two verdicts")
            switch verdict {
            case .credential(let raw) where raw.secret.count >= 6:
                let shown = [String(describing: raw), String(reflecting: raw), raw.masked, verdict.summary.normalized ?? ""]
                precondition(!shown.contains { $0.contains(raw.secret) }, "a credential's number is shown")
            case .misread(_, let reason):
                for run in digitRuns(text) { precondition(!reason.contains(run), "a misread's reason quotes the code's digits") }
            default: break
            }
        }
    }
}

/// Without libFuzzer: each file named on the command line (or in a directory named)
/// through one target, once. `.build/debug/fuzz-batch FILE` replays a finding.
public enum FuzzReplay {
    public static func main(_ target: ([UInt8]) -> Void) {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("\(path): no such file\n".utf8))
                exit(2)
            }
            let files =
                isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target(Array(data))
                count += 1
            }
        }
        print("\(count) inputs replayed")
    }
}
