import StationCore
import StationInput
import StationSystem
import StationStore

/// Proves the scan pipeline works end to end, for the systemd watchdog: synthetic key
/// events through a key decoder and a framer like a scanner's, the recogniser, a workflow
/// of its own (a bookshelf without a session, so a book always makes a record, whatever
/// the site is) and a durable journal write. Only a probe that finishes within its
/// deadline earns a `WATCHDOG=1`, never a bare timer.
///
/// The watchdog is about being stuck, not about being healthy: a journal that answers
/// with an error at once (a full disk) has answered; scans get `storage-error` and the
/// daemon keeps running. A journal that does not answer (a hung disk, a held lock) keeps
/// the probe from finishing, and systemd restarts the daemon.
final class PipelineProbe {
    private let decoder: KeymapDecoder
    private static let text = "9787111213826"

    init() throws {
        decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
    }

    /// Runs the probe. Throws when a stage did not do its work; returns the journal's
    /// error when the journal answered with one.
    func run(recognizer: CodeRecognizer, journal: Journal, wallMillis: Int64, today: LocalDate) throws(ProbeFailure) -> (any Error)? {
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
        var workflow = KioskWorkflow(settings: KioskSettings(siteID: "probe", siteKind: .bookshelf))
        let input = ScanInput(
            scanned: .book(ItemRef(book)), code: "probe", scannerID: "probe",
            clock: WorkflowClock(wallMillis: wallMillis, monotonicMillis: 0, bootID: "probe"), today: today)
        guard workflow.handle(input)?.record != nil else { throw ProbeFailure(stage: "workflow") }
        do {
            try journal.probe(atMillis: wallMillis)
            return nil
        } catch {
            return error
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        var stage: String
        var description: String { "watchdog probe failed at \(stage)" }
    }
}
