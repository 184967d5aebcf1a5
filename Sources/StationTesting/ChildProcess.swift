import Foundation
import Glibc

/// A program started by a test, with its stdout read line by line as it happens and its
/// stderr collected. Killed when dropped, so a failing test leaves nothing running.
public final class ChildProcess {
    public let pid: pid_t
    public let command: [String]
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var stdoutBuffer: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    public private(set) var exitStatus: Int32?
    /// Every stdout line read so far.
    public private(set) var lines: [String] = []

    public struct ProcessError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Starts `argv[0]` (looked up in PATH) with the given environment additions; `input`
    /// is its standard input (a secret a command reads from `-`), else /dev/null.
    public init(_ argv: [String], environment: [String: String] = [:], input: Data? = nil) throws {
        command = argv
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, input == nil || pipe(&inPipe) == 0 else {
            throw ProcessError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Only the child's dup2'ed copies survive exec; other children never inherit these.
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no blocked signals, whatever the test runner blocked.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = envStrings.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, argv[0], &actions, &attributes, &cArgs, &cEnv)
        close(outPipe[1])
        close(errPipe[1])
        if let input {
            close(inPipe[0])
            // Small inputs (a token, a number) fit the pipe's buffer: written whole, then closed.
            _ = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
            close(inPipe[1])
        }
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw ProcessError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        if stdoutFD >= 0 { close(stdoutFD) }
        if stderrFD >= 0 { close(stderrFD) }
    }

    /// Everything written to stderr so far.
    public var standardError: String {
        pump(timeoutMillis: 0)
        return String(decoding: stderrBytes, as: UTF8.self)
    }

    /// Reads stdout lines until one satisfies `predicate` (true), the output ends or the
    /// timeout passes (false).
    @discardableResult
    public func readLines(timeout: TimeInterval, until predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var checked = 0
        while true {
            while checked < lines.count {
                defer { checked += 1 }
                if predicate(lines[checked]) { return true }
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            if !pump(timeoutMillis: Int32(min(left, 1) * 1000)) && stdoutFD < 0 { return lines.count > checked ? true : false }
        }
    }

    /// Reads until `count` lines satisfy `predicate`, or the timeout passes.
    @discardableResult
    public func readLines(timeout: TimeInterval, count: Int, where predicate: (String) -> Bool) -> Bool {
        var seen = 0
        return readLines(timeout: timeout) { line in
            if predicate(line) { seen += 1 }
            return seen >= count
        }
    }

    public func signal(_ sig: Int32) { kill(pid, sig) }

    /// The pids of this process's children (from /proc), e.g. the program umockdev-run
    /// started, to signal it directly.
    public func children() -> [pid_t] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return [] }
        return text.split(separator: " ").compactMap { pid_t($0) }
    }

    /// Waits for the exit, reading the rest of the output. The exit code, or 128 + the
    /// signal that killed it; nil on timeout.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                while pump(timeoutMillis: 50) {}
                let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                exitStatus = code
                return code
            }
            pump(timeoutMillis: 50)
        }
        return nil
    }

    /// Sends SIGTERM and waits; SIGKILL if it will not go.
    @discardableResult
    public func terminate(timeout: TimeInterval = 10) -> Int32? {
        if let exitStatus { return exitStatus }
        signal(SIGTERM)
        if let code = wait(timeout: timeout) { return code }
        signal(SIGKILL)
        return wait(timeout: 5)
    }

    /// Moves what is readable into the buffers. True if anything was read.
    @discardableResult
    private func pump(timeoutMillis: Int32) -> Bool {
        var fds: [pollfd] = []
        if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
        if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
        if fds.isEmpty { return false }
        guard poll(&fds, nfds_t(fds.count), timeoutMillis) > 0 else { return false }
        var any = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        for p in fds where p.revents != 0 {
            let n = chunk.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                any = true
                if p.fd == stdoutFD {
                    stdoutBuffer += chunk[0..<n]
                    while let nl = stdoutBuffer.firstIndex(of: 0x0A) {
                        lines.append(String(decoding: stdoutBuffer[..<nl], as: UTF8.self))
                        stdoutBuffer.removeSubrange(...nl)
                    }
                } else {
                    stderrBytes += chunk[0..<n]
                }
            } else if n == 0 {
                close(p.fd)
                if p.fd == stdoutFD { stdoutFD = -1 } else { stderrFD = -1 }
            }
        }
        return any
    }
}

extension ChildProcess {
    /// Signals the program this one runs (the daemon under `umockdev-run` or `ip netns
    /// exec`, which must outlive it to answer its last ioctls), then waits for both.
    public func stopChildren(signal sig: Int32 = SIGTERM, timeout: TimeInterval = 30) -> Int32? {
        for pid in children() { kill(pid, sig) }
        return wait(timeout: timeout)
    }
}

extension ChildProcess {
    /// The URL a daemon's page logged when it started listening (`<page> listening`, with
    /// `page.url=`), waited for up to `timeout` seconds.
    public func pageURL(_ page: String, timeout: Double = 20) throws -> String {
        var found: String?
        _ = waitUntil(timeout) {
            found = standardError.split(separator: "\n").first { $0.contains("\(page) listening") }.flatMap { line in
                line.range(of: "page.url=").map { String(line[$0.upperBound...].prefix { $0 != " " }) }
            }
            return found != nil
        }
        guard let found else { throw ProcessError(description: "no \(page) listening in the log:\n\(standardError)") }
        return found
    }
}
