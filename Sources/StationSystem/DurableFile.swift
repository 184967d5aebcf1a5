import Foundation
import Glibc

/// Files that must survive a crash or hold a secret (the box's link to its hub, its keys,
/// the seq reservation, the hub's secrets, bundles and acknowledgements), written one way:
/// a temporary file beside the target is created with the final mode (never readable by
/// more than `mode` allows, not even for a moment), written, fsync'd, renamed over the
/// target, and the directory fsync'd. A crash between any two of these steps leaves the
/// old file or the new one at `path`, never neither, never half of one.
public enum DurableFile {
    /// Writes `data` to `path`. `replacing: false` refuses an existing file (a key is never
    /// overwritten): the new file is linked in, which fails if one is there.
    public static func write(_ data: Data, to path: String, mode: mode_t, replacing: Bool = true) throws(SystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        let tmp = path + ".tmp"
        // Left over from a write that died half-way: never the file itself.
        _ = unlink(tmp)
        let fd = try Syscall.call("open", path: tmp) { open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        let bytes = [UInt8](data)
        do throws(SystemError) {
            defer { _ = close(fd) }
            // The exact mode, whatever the umask: set while the file is still empty.
            try Syscall.call("fchmod", path: tmp) { fchmod(fd, mode) }
            var done = 0
            while done < bytes.count {
                done += try Syscall.call("write", path: tmp) { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) } }
            }
            try Syscall.call("fsync", path: tmp) { fsync(fd) }
        } catch {
            _ = unlink(tmp)
            throw error
        }
        if replacing {
            try Syscall.call("rename", path: path) { rename(tmp, path) }
        } else {
            defer { _ = unlink(tmp) }
            try Syscall.call("link", path: path) { link(tmp, path) }
        }
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Fills the empty file at `path` with `size` zero bytes, written (not only allocated:
    /// an allocated block is written over later with a change of the file system's
    /// metadata, a written one without) and synced. Refuses a file that holds anything; the
    /// caller keeps anyone else from writing it meanwhile. A failure part-way leaves the
    /// zeros written so far.
    public static func fillEmpty(_ path: String, size: Int) throws(SystemError) {
        let fd = try Syscall.call("open", path: path) { open(path, O_WRONLY | O_CLOEXEC) }
        defer { _ = close(fd) }
        var st = stat()
        try Syscall.call("fstat", path: path) { fstat(fd, &st) }
        guard st.st_size == 0 else { throw SystemError(call: "fill", path: path, errno: EEXIST) }
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        var done = 0
        while done < size {
            let n = min(chunk.count, size - done)
            done += try Syscall.call("pwrite", path: path) { chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress!, n, off_t(done)) } }
        }
        try Syscall.call("fsync", path: path) { fsync(fd) }
    }

    /// Makes a directory's entries (a rename, a new file) durable.
    public static func syncDirectory(_ directory: String) throws(SystemError) {
        let fd = try Syscall.call("open", path: directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(fd) }
        try Syscall.call("fsync", path: directory) { fsync(fd) }
    }
}

/// Files the tools hand over (bundles, acknowledgements, reports, printable sheets): a
/// regular file, or a new one, is written as a ``DurableFile``; a device or a pipe
/// (`/dev/stdout`, a FIFO) is written in place, never renamed over.
public enum OutputFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else { throw SystemError(call: "open", path: path, errno: errno) }
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            return
        }
        try DurableFile.write(data, to: path, mode: mode)
    }
}

/// Blocking work (a SQLite read or commit, a file) run from async code on a thread of
/// Dispatch's, never on the few threads that run Swift's tasks (the cooperative pool, or
/// NIO's event loops under ``QuietThreads``), which must not wait on a disk.
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            // A serial queue of its own per call: Dispatch runs each on an overcommit thread
            // (several at once when several wait on a disk), which its workqueue monitor
            // leaves alone; a concurrent queue's threads would start its 1 s tick (QuietThreads).
            DispatchQueue(label: "station.blocking", qos: .utility).async { continuation.resume(with: Result { try body() }) }
        }
    }
}
