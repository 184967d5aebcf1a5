import Glibc

/// Unbuffered line output to stdout: each line is written whole, at once, so a reader on
/// a pipe sees it as it happens.
public enum StandardOutput {
    /// Writes `line` and a newline. False when stdout is gone (the reader closed the pipe).
    @discardableResult
    public static func writeLine(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        bytes.removeAll()
        return true
    }
}
