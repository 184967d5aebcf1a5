import GRDB
import StationSystem

/// How the journal's code lets a GRDB connection go: closed, then kept (QuietThreads.keep),
/// since freeing it would start libdispatch's once-a-second tick in the daemon.
enum Connections {
    static func close(_ connection: any DatabaseReader) throws {
        defer { QuietThreads.keep(connection) }
        try connection.close()
    }
}
