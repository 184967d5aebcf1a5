import Foundation
import StationCore
import StationInput
import StationStore
import StationSystem

extension Daemon {
    /// The pages service: the kiosk page reads the board; the manager page asks the scan
    /// loop (so the answer sees the loop's own state) and reads the device log and the
    /// catalog cache through the journal's readers, off the loop (``Blocking``).
    func makePages() -> PagesService {
        let me = bound
        let journal = self.journal
        let config = self.config
        return PagesService(
            settings: config.pages, board: board, logger: logger,
            snapshot: {
                // A loop that is not running (yet, or any more) is waited for 3 s at most.
                let busy = (JSONLine([("daemon", .string("not answering"))]), JSONLine([]))
                let (status, devices) = await me.ask(within: 3, otherwise: busy) { d in (d.answer(.status, "status"), d.answer(.devices, "devices")) }
                // A journal that cannot be read is said on the page, not shown as an empty log.
                let log: Result<[JournalReader.LogLine], any Error>
                do {
                    log = .success(try await Blocking.run { try JournalReader(journal: journal).deviceLog(minLevel: "info", limit: 50) })
                } catch {
                    log = .failure(error)
                }
                let transfers = (try? await Blocking.run { try JournalReader(journal: journal).transfers() }) ?? []
                return ManagerSnapshot(
                    status: status, devices: devices,
                    log: log.map { $0.reversed().map { ($0.atMillis, $0.level, $0.scannerID, $0.message) } }.mapError { "\($0)" }, transfers: transfers)
            },
            card: { kind, page in
                do {
                    return .success(try await Blocking.run { try CardSheets.sheet(kind: kind, page: page, config: config, reader: JournalReader(journal: journal)) })
                } catch let error as CardSheets.PageError {
                    return .failure(.init(status: error.notFound ? .notFound : .conflict, message: error.description))
                } catch let error as PrintableCards.SheetError {
                    // Nothing to print yet (no catalog before the first sync, say).
                    return .failure(.init(status: .conflict, message: error.description))
                } catch {
                    return .failure(.init(status: .internalServerError, message: "\(error)"))
                }
            })
    }
}
