import Foundation
import ServiceLifecycle
import StationCore

/// A value handed to the scan loop's thread through the mailbox: only ever used there.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The journal as a service: opened before the group starts (READY needs it), closed
/// last, after the scan loop has finished the scan in hand.
struct StoreService: Service, @unchecked Sendable {
    let runner: Runner

    func run() async throws {
        defer {
            DeviceLogSink.shared.flush()
            DeviceLogSink.shared.attach(nil)
            try? runner.journal.close()
        }
        try await gracefulShutdown()
    }
}

/// Input, workflow and the admin socket: one epoll loop on a thread of its own (scans are
/// serialised and each commit happens on the thread that read it). A graceful shutdown
/// stops the loop between two reads.
struct ScanLoopService: Service, @unchecked Sendable {
    let runner: Runner
    let table: DeviceTable

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
                let thread = Thread {
                    do {
                        try runner.runLoop(table: table)
                        done.resume()
                    } catch {
                        done.resume(throwing: error)
                    }
                }
                thread.name = "station.scan"
                thread.start()
            }
        } onGracefulShutdown: {
            let me = Unchecked(runner)
            runner.mailbox.post { me.value.loopStop?() }
        }
    }
}
