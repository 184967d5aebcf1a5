import Glibc

/// Blocks until something in a directory is written (inotify): `stationctl logs --follow`
/// wakes when the journal's WAL grows, without polling.
public final class DirectoryWatch {
    private let descriptor: OwnedDescriptor

    public init(directory: String) throws {
        let fd = try Syscall.call("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        descriptor = OwnedDescriptor(fd)
        try Syscall.call("inotify_add_watch", path: directory) {
            inotify_add_watch(fd, directory, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE))
        }
    }

    /// Waits for the next change, or `timeoutMillis` (-1: forever). True on a change.
    public func wait(timeoutMillis: Int32 = -1) -> Bool {
        var p = pollfd(fd: descriptor.raw, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMillis) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = buffer.withUnsafeMutableBytes { read(descriptor.raw, $0.baseAddress, $0.count) }
        return true
    }
}
