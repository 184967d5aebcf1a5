import StationCore
import StationInput
import StationStore

/// Proves the scan pipeline works end to end, for the systemd watchdog: synthetic key
/// events through a key decoder and a framer like a scanner's, the recogniser, the
/// workflow (on a copy: the probe changes nothing) and a durable journal write. Only a
/// probe that finishes within its deadline earns a `WATCHDOG=1`, never a bare timer.
final class PipelineProbe {
    private let decoder: KeymapDecoder
    private static let text = "9787111213826"

    init() throws {
        decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
    }

    /// Runs the probe; the error names the stage that failed.
    func run(recognizer: CodeRecognizer, workflow: KioskWorkflow, journal: Journal, wallMillis: Int64, today: LocalDate) throws(ProbeFailure) {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        let digitCodes: [Character: UInt16] = ["1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11]
        var t: Int64 = 0
        var framed: FramedScan?
        for code in Self.text.map({ digitCodes[$0]! }) + [28] {
            for value: Int32 in [1, 0] {
                t += 2_000
                for input in decoder.feed(code: code, value: value, at: t) {
                    for case .scan(let s) in framer.feed(input) { framed = s }
                }
            }
        }
        guard let framed, framed.text == Self.text else { throw ProbeFailure(stage: "decode and frame") }
        let moment = CodeRecognizer.Moment(unixSeconds: wallMillis / 1000, today: (today.year, today.month, today.day))
        guard case .book(let book) = recognizer.recognize(framed.text, at: moment) else { throw ProbeFailure(stage: "recognise") }
        var copy = workflow
        let input = ScanInput(scanned: .book(ItemRef(book)), code: "probe", scannerID: "probe", wallMillis: wallMillis, today: today)
        guard copy.handle(input)?.record != nil else { throw ProbeFailure(stage: "workflow") }
        do {
            try journal.probe(atMillis: wallMillis)
        } catch {
            throw ProbeFailure(stage: "journal: \(error)")
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        var stage: String
        var description: String { "watchdog probe failed at \(stage)" }
    }
}
