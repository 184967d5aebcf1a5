import Foundation
import Glibc
import Logging
import StationCore
import StationInput
import StationStore
import StationTesting

/// In-process figures for the scan path: key decoding + framing, and recognition.
/// Prints a table and, with `--json FILE`, writes the numbers there. A benchmark reports
/// numbers; it asserts nothing.

struct Figure: Codable {
    var name: String
    var value: Double
    var unit: String
}

func measure(_ body: () -> Int) -> (count: Int, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let count = body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (count, seconds)
}

/// evdev key events of one scan of `text` (digits and capitals) plus Enter, 2 ms apart.
func keyEvents(_ text: String) -> [(UInt16, Int32)] {
    let digitCodes: [Character: UInt16] = ["1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11, "-": 12]
    let letterCodes: [Character: UInt16] = ["A": 30, "B": 48, "C": 46, "L": 38, "I": 23]
    var out: [(UInt16, Int32)] = []
    for ch in text {
        if let code = digitCodes[ch] {
            out += [(code, 1), (code, 0)]
        } else if let code = letterCodes[ch] {
            out += [(42, 1), (code, 1), (code, 0), (42, 0)]
        }
    }
    return out + [(28, 1), (28, 0)]
}

func benchDecodeAndFrame(scans: Int) throws -> Figure {
    let decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
    var framer = ScanFramer(settings: .init(suffix: .enter))
    let stream = keyEvents("9787111213826") + keyEvents("LIB-000123") + keyEvents("ABC-1234")
    var produced = 0
    let (events, seconds) = measure {
        var t: Int64 = 0
        var n = 0
        for _ in 0..<(scans / 3) {
            for (code, value) in stream {
                t += 2_000
                for input in decoder.feed(code: code, value: value, at: t) {
                    for output in framer.feed(input) { if case .scan = output { produced += 1 } }
                }
                n += 1
            }
        }
        return n
    }
    precondition(produced == (scans / 3) * 3, "the benchmark's scans did not frame")
    return Figure(name: "decoder+framer", value: Double(events) / seconds, unit: "key events/s")
}

func benchRecognize(rounds: Int) throws -> Figure {
    var gen = TestIdentities(seed: 1)
    let codes = [
        "9787111213826", "0306406152", "978711121382651299", "9771144875007", "036000291452", "6901234567892",
        "9787111213827", "LIB-000123", "STN-DONE", gen.valid(), gen.valid(), "hello",
    ]
    let recognizer = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}")])
    let moment = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    var valid = 0
    let (count, seconds) = measure {
        for _ in 0..<rounds {
            for code in codes where recognizer.recognize(code, at: moment).summary.valid { valid += 1 }
        }
        return rounds * codes.count
    }
    precondition(valid > 0)
    return Figure(name: "recogniser", value: Double(count) / seconds, unit: "codes/s")
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Raw fdatasync of a small append on the disk of `directory`: the floor any durable
/// commit sits on.
func benchFdatasync(directory: String, rounds: Int) -> [Double] {
    let path = directory + "/fdatasync-probe"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
    precondition(fd >= 0)
    defer {
        close(fd)
        unlink(path)
    }
    let record = [UInt8](repeating: 0x5A, count: 512)
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = write(fd, record, record.count)
        _ = fdatasync(fd)
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return samples.sorted()
}

/// From the last key event of a scan (Enter) to its event committed in the journal:
/// framing, recognition, the workflow and the durable append.
func benchScanToDurable(directory: String, rounds: Int) throws -> [Double] {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let journal = try Journal(directory: directory, boxID: "bench-box", siteID: "site-a", logger: logger)
    defer { try? journal.close() }
    let decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
    let recognizer = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}")])
    var workflow = KioskWorkflow(settings: KioskSettings(siteID: "site-a", siteKind: .bookshelf))
    let moment = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    var samples: [Double] = []
    var t: Int64 = 0
    for n in 0..<rounds {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        let label = String(format: "LIB-%06d", n)
        for (code, value) in keyEvents(label).dropLast(2) {
            t += 2_000
            for input in decoder.feed(code: code, value: value, at: t) { _ = framer.feed(input) }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var scan: FramedScan?
        for input in decoder.feed(code: 28, value: 1, at: t + 2_000) {
            for case .scan(let s) in framer.feed(input) { scan = s }
        }
        guard let scan, case .book(let book) = recognizer.recognize(scan.text, aim: scan.aim, at: moment) else { fatalError("bench scan \(label) not framed") }
        let input = ScanInput(scanned: .book(ItemRef(book)), code: scan.text, scannerID: "bench", clock: WorkflowClock(wallMillis: Int64(n) * 10_000, monotonicMillis: Int64(n) * 10_000, bootID: "b"), today: LocalDate(year: 2026, month: 11, day: 29))
        guard let decision = workflow.handle(input), let draft = decision.record else { fatalError("no record") }
        let event = try journal.append(draft, time: EventTime(wallMillis: Int64(n), synchronized: true, bootID: "b", monotonicMicros: Int64(n)))
        workflow.recorded(event)
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        _ = decoder.feed(code: 28, value: 0, at: t + 4_000)
    }
    return samples.sorted()
}

if CommandLine.arguments.dropFirst().first == "fill" {
    try Fill.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.dropFirst().first == "drain" {
    try await Drain.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

func printFigures(_ figures: [Figure]) {
    print("figure                     value   unit")
    for f in figures {
        print(f.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: f.value < 100 ? "%12.3f" : "%12.0f", f.value) + "   " + f.unit)
    }
}

func writeFigures(_ figures: [Figure], to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(figures).write(to: URL(fileURLWithPath: path))
}

var jsonPath: String?
var benchDirectory = FileManager.default.currentDirectoryPath + "/.build/bench-journal"
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--json" { jsonPath = args.popFirst() }
    if a == "--dir" { benchDirectory = args.popFirst()! }
}
try? FileManager.default.removeItem(atPath: benchDirectory)
try FileManager.default.createDirectory(atPath: benchDirectory, withIntermediateDirectories: true)
var figures = [try benchDecodeAndFrame(scans: 300_000), try benchRecognize(rounds: 50_000)]
// Interleaved rounds, so both see the same disk weather.
var floor: [Double] = []
var durable: [Double] = []
for _ in 0..<5 {
    floor += benchFdatasync(directory: benchDirectory, rounds: 200)
    durable += try benchScanToDurable(directory: benchDirectory + "/j", rounds: 200)
}
floor.sort()
durable.sort()
try? FileManager.default.removeItem(atPath: benchDirectory)
figures += [
    Figure(name: "fdatasync p50", value: percentile(floor, 0.5), unit: "ms"),
    Figure(name: "fdatasync p99", value: percentile(floor, 0.99), unit: "ms"),
    Figure(name: "scan-to-durable p50", value: percentile(durable, 0.5), unit: "ms"),
    Figure(name: "scan-to-durable p99", value: percentile(durable, 0.99), unit: "ms"),
    Figure(name: "p50 ratio", value: percentile(durable, 0.5) / percentile(floor, 0.5), unit: "x fdatasync"),
]
printFigures(figures)
print("(journal and fdatasync probe in \(benchDirectory))")
if let jsonPath { try writeFigures(figures, to: jsonPath) }
