import Foundation
import StationCore
import StationInput
import StationStore

extension Runner {
    /// The pages service: the kiosk page reads the board; the manager page asks the scan
    /// loop (through its mailbox, so the answer sees the loop's own state) and reads the
    /// device log and the catalog cache on connections of its own.
    func makePages() -> PagesService {
        let me = Unchecked(self)
        let mailbox = self.mailbox
        let directory = config.stateDirectory
        let config = self.config
        return PagesService(
            settings: config.pages, board: board, logger: logger,
            snapshot: {
                // The scan loop answers through its mailbox; a loop that is not running (yet,
                // or any more) is waited for 3 s at most.
                let busy = (JSONLine([("daemon", .string("not answering"))]), JSONLine([]))
                let answer = OnceAnswer<(JSONLine, JSONLine)>()
                let (status, devices) = await withCheckedContinuation { (c: CheckedContinuation<(JSONLine, JSONLine), Never>) in
                    answer.attach(c)
                    mailbox.post {
                        let runner = me.value
                        guard let service = runner.inputService else { return answer.resume(busy) }
                        answer.resume((runner.answer("status", service: service), runner.answer("devices", service: service)))
                    }
                    Task {
                        try? await Task.sleep(for: .seconds(3))
                        answer.resume(busy)
                    }
                }
                // A journal that cannot be read is said on the page, not shown as an empty log.
                let log: Result<[JournalReader.LogLine], any Error> = Result { try JournalReader(directory: directory).deviceLog(minLevel: "info", limit: 50) }
                return ManagerSnapshot(
                    status: status, devices: devices,
                    log: log.map { $0.reversed().map { ($0.atMillis, $0.level, $0.scannerID, $0.message) } }.mapError { "\($0)" })
            },
            card: { kind, page in
                do {
                    return .success(try CardSheets.sheet(kind: kind, page: page, config: config))
                } catch let error as CardSheets.Failure {
                    return .failure(.init(status: error.notFound ? .notFound : .conflict, message: error.description))
                } catch let error as PrintableCards.Failure {
                    // Nothing to print yet (no catalog before the first sync, say).
                    return .failure(.init(status: .conflict, message: error.description))
                } catch {
                    return .failure(.init(status: .internalServerError, message: "\(error)"))
                }
            })
    }
}

/// A continuation resumed by whichever answer comes first; later ones are ignored.
final class OnceAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?

    func attach(_ c: CheckedContinuation<T, Never>) { lock.withLock { continuation = c } }

    func resume(_ value: T) {
        let c = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: value)
    }
}
