import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StationCore

/// The console's CSV imports: a file uploaded with the form's CSRF token, every line checked
/// before anything is written (a refused file's problems shown line by line), then one
/// transaction in the store whose progress is sent as the page goes.
extension ConsoleRoutes {
    /// Largest file the console takes (a catalog of about 400,000 titles).
    static let maxUploadBytes = 32 << 20

    static let staleForm = HubError(.forbidden, "this form is out of date or was not sent by this console: load the page again", code: "csrf-refused")

    /// An upload from a signed-in reader: its parts read and its CSRF token checked before
    /// anything else happens.
    func upload(_ request: Request, _ context: HubRequestContext, _ body: (ConsoleSession, MultipartForm) async throws -> Response) async -> Response {
        await answer(request, context, signedIn: true) {
            let session = try await requireSession(request)
            var request = request
            guard let buffer = try? await request.collectBody(upTo: Self.maxUploadBytes) else {
                throw HubError(.tooLarge, "a file is at most \(Self.maxUploadBytes >> 20) MB: split it")
            }
            let form = try MultipartForm(contentType: request.headers[.contentType] ?? "", body: Array(buffer.readableBytesView))
            guard let token = form.field("csrf"), ConsoleAccess.same(token, session.csrf) else { throw Self.staleForm }
            return try await body(session, form)
        }
    }

    func importCSV(_ kind: ConsoleImport, _ session: ConsoleSession, _ form: MultipartForm, _ context: HubRequestContext) async throws -> Response {
        guard kind.may(session.role) else { throw HubError(.forbidden, "your role does not import \(kind.rawValue)", code: "not-yours") }
        guard let file = form.part("file"), !file.bytes.isEmpty else { throw HubError(.invalid, "choose a CSV file to import", code: "no-file") }
        let pages = pages(session.language)
        func refused(_ problems: [CatalogImport.LineProblem]) -> Response {
            Self.html(.unprocessableContent, pages.importRefused(kind, file: file.filename, problems: problems, session: session))
        }
        let rows: [CSVTable.Row]
        do throws(CSVTable.ParseError) {
            rows = try CSVTable.records(file.bytes, columns: kind.columns, headerFirstField: kind.header)
        } catch {
            return refused([CatalogImport.LineProblem(line: error.line, problem: error.reason, zh: error.zh)])
        }
        let (store, actor, role) = (store, Self.actor(session, context), session.role)
        let run: @Sendable (HubStore.ImportProgress?) async throws -> Int
        switch kind {
        case .titles:
            let sites = Set(try await store.sites(scope: role).map(\.id))
            switch CatalogImport.titles(rows, homes: .init(sites: sites, required: role != .union)) {
            case .failure(let found): return refused(found.found)
            case .success(let titles): run = { try await store.importCatalog(titles, by: actor, scope: role, progress: $0) }
            }
        case .members:
            guard let keys = ring.current else { throw HubError(.unavailable, "the hub has no pseudonym keys: members cannot be imported", code: "no-keys") }
            switch CatalogImport.members(rows, pseudonym: { keys.pseudonym(RawCredential(kind: .memberCard, secret: $0)) }) {
            case .failure(let found): return refused(found.found)
            case .success(let members): run = { try await store.importMembers(members, by: actor, scope: role, progress: $0) }
            }
        }
        return streamed(kind, file: file.filename, lines: rows.count, pages: pages, session: session, logger: context.logger, run)
    }

    /// The import run apart from the answer (a reader who leaves does not cut it short:
    /// its transaction commits or rolls back whole), its progress drawn as it comes.
    func streamed(
        _ kind: ConsoleImport, file: String?, lines: Int, pages: ConsolePages, session: ConsoleSession, logger: Logger,
        _ run: @escaping @Sendable (HubStore.ImportProgress?) async throws -> Int
    ) -> Response {
        let (progress, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            defer { continuation.finish() }
            return try await run { step, done, total in continuation.yield(ConsoleImport.percent(step, done, total)) }
        }
        let halves = pages.importUnderWay(kind, file: file, lines: lines, session: session)
        return Response(
            status: .ok, headers: Self.pageHeaders,
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: halves.head.raw + pages.importProgress(0).raw))
                var shown = 0
                for await percent in progress where percent > shown {
                    shown = percent
                    try await writer.write(ByteBuffer(string: pages.importProgress(percent).raw))
                }
                let outcome: Result<Int, HubError>
                do {
                    outcome = .success(try await task.value)
                } catch let error as HubError {
                    outcome = .failure(error)
                } catch {
                    logger.error("console: import of \(kind.rawValue): \(error)")
                    outcome = .failure(HubError(.unavailable, "the hub could not finish: try again"))
                }
                try await writer.write(ByteBuffer(string: pages.importOutcome(kind, read: lines, changed: outcome).raw + halves.tail.raw))
                try await writer.finish(nil)
            })
    }
}

extension ConsoleImport {
    /// How far an import is, in percent: comparing takes the first fifth, writing the
    /// second, recomputing books the rest.
    public static func percent(_ step: HubStore.ImportStep, _ done: Int, _ total: Int) -> Int {
        let (start, width): (Int, Int) =
            switch step {
            case .compare: (0, 20)
            case .write: (20, 20)
            case .ledger: (40, 60)
            }
        return start + width * min(done, max(total, 1)) / max(total, 1)
    }
}
