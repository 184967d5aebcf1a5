import Foundation
import Glibc
import StationTesting

/// Whole-process benchmark tools for `make bench`: `fill` writes a realistic backlog into
/// a box's journal, `drain` times its sync to a loopback hub, `loadgen` simulates
/// thousands of boxes uploading to one or more hub instances at once, `pages` times the
/// console's pages on the union it left. They print numbers and
/// assert nothing. The in-process figures are in Benchmarks/StationBenchmarks.

/// The tools by name; a refusal or failure is one line on stderr and exit status 1.
let tools: [String: @Sendable ([String]) async throws -> Void] = [
    "fill": { try Fill.run($0) }, "drain": { try await Drain.run($0) }, "loadgen": { try await Loadgen.run($0) }, "pages": { try await Pages.run($0) },
]
if let name = CommandLine.arguments.dropFirst().first, let tool = tools[name] {
    do {
        try await tool(Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("station-bench \(name): \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
FileHandle.standardError.write(
    Data(
        """
        usage: station-bench fill --state-dir DIR --events N [--seed S] [--hub-key FILE]
               station-bench drain --events N [--batch B] [--json FILE]
               station-bench loadgen --hub URL[,URL...] --database URL|FILE [--boxes N] [--events N] [--batch N] [--concurrency N]
                                     [--sites N] [--prefix P] [--seed S] [--json FILE]
               station-bench pages --hub URL --database URL|FILE [--requests N] [--budget SECONDS] [--prefix P] [--json FILE]

        """.utf8))
exit(2)

