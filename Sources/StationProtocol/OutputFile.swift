import Foundation

/// Files the tools hand over (bundles, acknowledgements, reports, printable sheets): a
/// regular file, or a new one, is replaced atomically (written beside, then renamed); a
/// device or a pipe (`/dev/stdout`, a FIFO) is written in place, never renamed over.
public enum OutputFile {
    public static func write(_ data: Data, to path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            return
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
