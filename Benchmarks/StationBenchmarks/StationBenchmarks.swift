import Benchmark
import Foundation
import Glibc
import Logging
import StationCore
import StationInput
import StationSystem
import StationStore
import StationTesting

/// The in-process figures of `make bench`: key decoding + framing, recognition, and a
/// scan's way from its last key to a durable journal event beside a raw fdatasync on the
/// same disk (the floor any durable commit sits on). Numbers only; nothing is asserted.
///
/// The journal and the fdatasync probe live in `STATION_BENCH_DIR` (default
/// `.build/bench/disk` under the working directory), so both see the same disk.

/// evdev key events of one scan of `text` (digits, `-` and a few capitals) plus Enter.
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

func benchDirectory() -> String {
    let directory = ProcessInfo.processInfo.environment["STATION_BENCH_DIR"] ?? FileManager.default.currentDirectoryPath + "/.build/bench/disk"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// One decoder and framer fed a stream of three scans, one key event per iteration.
final class DecodeAndFrame: @unchecked Sendable {
    let decoder: KeymapDecoder
    var framer = ScanFramer(settings: .init(suffix: .enter))
    let stream = keyEvents("9787111213826") + keyEvents("LIB-000123") + keyEvents("ABC-1234")
    var position = 0
    var time: Int64 = 0
    var scans = 0

    init() throws { decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us")) }

    func feed() {
        let (code, value) = stream[position]
        position = position + 1 == stream.count ? 0 : position + 1
        time += 2_000
        for input in decoder.feed(code: code, value: value, at: time) {
            for output in framer.feed(input) { if case .scan = output { scans += 1 } }
        }
    }
}

/// The recogniser over a mix of valid and invalid codes, one code per iteration.
final class Recognize: @unchecked Sendable {
    let recognizer: CodeRecognizer
    let codes: [String]
    let moment = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    var position = 0

    init() throws {
        var identities = TestIdentities(seed: 1)
        codes = [
            "9787111213826", "0306406152", "978711121382651299", "9771144875007", "036000291452", "6901234567892",
            "9787111213827", "LIB-000123", "STN-DONE", identities.valid(), identities.valid(), "hello",
        ]
        recognizer = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}")])
    }

    func next() -> Bool {
        let code = codes[position]
        position = position + 1 == codes.count ? 0 : position + 1
        return recognizer.recognize(code, at: moment).summary.valid
    }
}

/// A real journal on the bench disk and the scan path in front of it. `prepare` types a
/// label up to (not including) Enter; `finish` is the measured part: Enter, framing,
/// recognition, the ledger's window read, the workflow's decision and the durable append.
///
/// A journal `inUse` has been round its WAL once before the measured scans (Checkpointer):
/// its commits write over blocks of the WAL file written before. A journal just started
/// (closed and opened again, as at a box's start) has its WAL written ahead by the start
/// for its first round. The commits of a journal that writes its WAL for the first time
/// (a new box's) grow the file, and each fdatasync then carries the file's new size and
/// blocks too; so did the first round after every start before the WAL was written ahead.
final class ScanToDurable: @unchecked Sendable {
    enum State { case inUse, started }
    var journal: Journal
    let decoder: KeymapDecoder
    let recognizer: CodeRecognizer
    var workflow = KioskWorkflow(settings: KioskSettings(siteID: "site-a", siteKind: .bookshelf))
    var framer = ScanFramer(settings: .init(suffix: .enter))
    let moment = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    var n: Int64 = 0
    var time: Int64 = 0

    init(directory: String, state: State) throws {
        try? FileManager.default.removeItem(atPath: directory)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        journal = try Journal(directory: directory, boxID: "bench-box", siteID: "site-a", logger: logger)
        decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
        recognizer = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}")])
        switch state {
        case .inUse:
            // More than the measured scans will write (warm-up and 1,000 samples, two
            // frames each), then copied back: the next commit starts the WAL again.
            for _ in 0..<1_100 {
                prepare()
                try finish()
            }
            try journal.checkpoint()
        case .started:
            prepare()
            try finish()
            try journal.close()
            journal = try Journal(directory: directory, boxID: "bench-box", siteID: "site-a", logger: logger)
        }
    }

    func prepare() {
        n += 1
        framer = ScanFramer(settings: .init(suffix: .enter))
        let label = "LIB-" + String(repeating: "0", count: 6 - String(n % 1_000_000).count) + String(n % 1_000_000)
        for (code, value) in keyEvents(label).dropLast(2) {
            time += 2_000
            for input in decoder.feed(code: code, value: value, at: time) { _ = framer.feed(input) }
        }
    }

    func finish() throws {
        var scan: FramedScan?
        time += 2_000
        for input in decoder.feed(code: 28, value: 1, at: time) {
            for case .scan(let s) in framer.feed(input) { scan = s }
        }
        guard let scan, case .book(let book) = recognizer.recognize(scan.text, aim: scan.aim, at: moment) else { fatalError("bench scan \(n) not framed") }
        let clock = WorkflowClock(wallMillis: n * 10_000, monotonicMillis: n * 10_000, bootID: "b")
        let input = ScanInput(scanned: .book(ItemRef(book)), code: scan.text, scannerID: "bench", clock: clock, today: LocalDate(year: 2026, month: 11, day: 29))
        // The ledger's window for this book, read as the daemon's pipeline reads it.
        workflow.rebuild(ledger: try journal.window(item: ItemRef(book).key, worker: workflow.session?.worker.localHash))
        guard let decision = workflow.handle(input), let draft = decision.record else { fatalError("no record for scan \(n)") }
        let event = try journal.append(draft, time: EventTime(wallMillis: n, synchronized: true, bootID: "b", monotonicMicros: n))
        workflow.recorded(event)
        time += 2_000
        _ = decoder.feed(code: 28, value: 0, at: time)
    }

    func close() { try? journal.close() }
}

/// A 512-byte append and fdatasync on the bench disk.
final class RawFdatasync: @unchecked Sendable {
    let path: String
    let fd: Int32
    let record = [UInt8](repeating: 0x5A, count: 512)

    init(directory: String) {
        path = directory + "/fdatasync-probe"
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        precondition(fd >= 0, "cannot open \(path)")
    }

    func sync() {
        _ = write(fd, record, record.count)
        _ = fdatasync(fd)
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

let benchmarks: @Sendable () -> Void = {
    let throughput = Benchmark.Configuration(
        metrics: [.throughput, .wallClock], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000)
    // One sample per scan or sync; 1000 of each, interleaved by the harness's order only.
    let latency = Benchmark.Configuration(
        metrics: [.wallClock], warmupIterations: 20, scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 1_000)

    let frame = try! DecodeAndFrame()
    Benchmark("decoder+framer (key events)", configuration: throughput) { benchmark in
        for _ in benchmark.scaledIterations { frame.feed() }
        blackHole(frame.scans)
    }

    let recognize = try! Recognize()
    Benchmark("recogniser (codes)", configuration: throughput) { benchmark in
        var valid = 0
        for _ in benchmark.scaledIterations where recognize.next() { valid += 1 }
        blackHole(valid)
    }

    let directory = benchDirectory()
    nonisolated(unsafe) var probe: RawFdatasync?
    Benchmark(
        "fdatasync (512 B append)", configuration: latency,
        closure: { _ in probe!.sync() },
        setup: { probe = RawFdatasync(directory: directory) },
        teardown: { probe?.close() })

    // After a start: the scans of the first round of the WAL only (two frames each, fewer
    // than the 1,000 written ahead). A box's scans come seconds apart, so the checkpoint at
    // the end of a round lets the next round start the WAL again; back to back, as here,
    // the checkpoint never catches up with the writer and the WAL would grow.
    let firstRound = Benchmark.Configuration(
        metrics: [.wallClock], warmupIterations: 20, scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 400)
    for (name, state, configuration) in [
        ("scan-to-durable", ScanToDurable.State.inUse, latency), ("scan-to-durable (after a start)", .started, firstRound),
    ] {
        nonisolated(unsafe) var path: ScanToDurable?
        Benchmark(
            name, configuration: configuration,
            closure: { benchmark in
                // Typing the label is not measured: the measurement starts again at Enter.
                path!.prepare()
                benchmark.startMeasurement()
                try path!.finish()
            },
            setup: { path = try ScanToDurable(directory: directory + "/journal", state: state) },
            teardown: { path?.close() })
    }
}
