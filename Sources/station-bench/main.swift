import Foundation
import Glibc
import StationTesting

/// Whole-process benchmark tools for `make bench`: `fill` writes a realistic backlog into
/// a box's journal, `drain` times its sync to a loopback hub, `loadgen` simulates
/// thousands of boxes uploading to one or more hub instances at once, `pages` times the
/// console's pages on the union it left. They print numbers and
/// assert nothing. The in-process figures are in Benchmarks/StationBenchmarks.

if CommandLine.arguments.dropFirst().first == "fill" {
    try Fill.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.dropFirst().first == "drain" {
    try await Drain.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.dropFirst().first == "loadgen" {
    do {
        try await Loadgen.run(Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("station-bench loadgen: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if CommandLine.arguments.dropFirst().first == "pages" {
    do {
        try await Pages.run(Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("station-bench pages: \(error)\n".utf8))
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

