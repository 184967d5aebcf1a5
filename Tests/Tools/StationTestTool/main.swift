import Foundation
import StationDaemon

// station-testtool: one production code path in a process of its own, for tests that
// kill it between two system calls (Tests/EndToEndTests/DurableFileTests).
//   station-testtool save-link STATE_DIR URL BOX SITE CREDENTIAL   HubLink.save
let args = CommandLine.arguments
guard args.count == 7, args[1] == "save-link" else {
    FileHandle.standardError.write(Data("usage: station-testtool save-link STATE_DIR URL BOX SITE CREDENTIAL\n".utf8))
    exit(64)
}
// Two calls no library makes, around the write, so that a trace can tell the write's own
// calls from the runtime's start and exit without reading any path out of the process.
let begin: Int32 = -4242, end: Int32 = -4343
do {
    _ = close(begin)
    try HubLink(url: args[3], boxID: args[4], siteID: args[5], credential: args[6]).save(stateDirectory: args[2])
    _ = close(end)
} catch {
    FileHandle.standardError.write(Data("station-testtool: \(error)\n".utf8))
    exit(1)
}
