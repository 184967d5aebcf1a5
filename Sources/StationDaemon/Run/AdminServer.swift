import Foundation
import Logging
import StationCore
import StationInput

/// The admin socket: one request line in (`status`, `devices`), one JSON line out.
/// Served on the input loop between reads; a client that sends nothing useful is closed.
final class AdminServer {
    private let listener: UnixListener
    private let logger: Logger
    private var connections: [Int32: UnixConnection] = [:]

    init(path: String, logger: Logger) throws {
        listener = try UnixListener(path: path)
        self.logger = logger
    }

    func start(on service: InputService, answer: @escaping (String) -> JSONLine) throws {
        try service.watch(fd: listener.fd) { [unowned self] in
            while let connection = listener.accept() {
                connections[connection.fd] = connection
                do {
                    try service.watch(fd: connection.fd) { [unowned self] in self.serve(connection, service: service, answer: answer) }
                } catch {
                    connections[connection.fd] = nil
                    connection.close()
                }
            }
        }
    }

    private func serve(_ connection: UnixConnection, service: InputService, answer: (String) -> JSONLine) {
        switch connection.readLine() {
        case .waiting:
            return
        case .line(let request):
            connection.reply(answer(request.trimmingCharacters(in: .whitespaces)).rendered)
        case .closed:
            break
        }
        service.unwatch(fd: connection.fd)
        connections[connection.fd] = nil
        connection.close()
    }
}
