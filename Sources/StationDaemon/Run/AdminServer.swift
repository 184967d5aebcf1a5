import Foundation
import Logging
import StationCore
import StationSystem

/// The admin socket: one request line in (``AdminRequest``), one JSON line out. Served on
/// the scan loop between reads, so its answers see the loop's state without locks; a
/// client that sends nothing useful is closed.
final class AdminServer {
    private let listener: UnixListener
    private let loop: EventLoop
    private var connections: [Int32: UnixConnection] = [:]
    private let answer: (AdminRequest?, String) -> JSONLine

    init(path: String, loop: EventLoop, answer: @escaping (AdminRequest?, String) -> JSONLine) throws {
        listener = try UnixListener(path: path)
        self.loop = loop
        self.answer = answer
        try loop.watch(listener.fd) { [unowned self] in
            while let connection = listener.accept() {
                connections[connection.fd] = connection
                do {
                    try loop.watch(connection.fd) { [unowned self] in self.serve(connection) }
                } catch {
                    connections[connection.fd] = nil
                    connection.close()
                }
            }
        }
    }

    private func serve(_ connection: UnixConnection) {
        switch connection.readLine() {
        case .waiting:
            return
        case .line(let request):
            let line = request.trimmingCharacters(in: .whitespaces)
            connection.reply(answer(AdminRequest(rawValue: line), line).rendered)
        case .closed:
            break
        }
        loop.unwatch(connection.fd)
        connections[connection.fd] = nil
        connection.close()
    }
}
