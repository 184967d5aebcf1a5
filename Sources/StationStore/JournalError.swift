import Glibc

/// Why the journal cannot do what was asked, in words a site manager's log can use.
public enum JournalError: Error, CustomStringConvertible, Sendable {
    /// The database was written by a newer stationd; it is not downgraded silently.
    case newerSchema(unknown: [String], path: String)
    case seqFileDamaged(String)
    case io(String, Int32)
    case identityMismatch(expected: String, found: String)

    public var description: String {
        switch self {
        case .newerSchema(let unknown, let path):
            "\(path) was written by a newer stationd (migrations \(unknown.joined(separator: ", ")) are unknown to this one); refusing to open it: install the newer stationd again"
        case .seqFileDamaged(let path):
            "\(path) is damaged; it guards against reusing sequence numbers, so stationd will not guess: restore it or start a new epoch by hand"
        case .io(let what, let err):
            "\(what): \(String(cString: strerror(err)))"
        case .identityMismatch(let expected, let found):
            "the journal belongs to box \(found), but this box is \(expected)"
        }
    }
}
