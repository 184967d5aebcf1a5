/// When a PostgreSQL hub gathers its tables' statistics again (`ANALYZE`), counted by the
/// events one instance has ingested: first after ``firstAfter``, then whenever it has
/// ingested half as many again as it had by the last time, one `ANALYZE` at a time.
/// Autovacuum analyzes a table once it grew by a tenth, at most once a minute: a new hub
/// taking a large first backlog planned its batches' reads on tables it took for empty
/// and read all of `event` and `book_month` for 500 books' keys (README, "make
/// bench-hub"). Geometric, so a long-lived hub's autovacuum does the rest. Pure.
public struct StatisticsSchedule: Sendable, Equatable {
    /// Events before the first `ANALYZE`.
    public static let firstAfter = 5_000

    /// Events ingested since the last `ANALYZE` began, and up to it.
    public private(set) var since = 0
    public private(set) var before = 0
    /// An `ANALYZE` is running: no other begins.
    public private(set) var analyzing = false

    public init() {}

    /// Counts `events` ingested; true when an `ANALYZE` is to begin now (then
    /// ``finished()`` when it ends, whether it worked or not).
    public mutating func ingested(_ events: Int) -> Bool {
        since += events
        guard !analyzing, since >= max(Self.firstAfter, before / 2) else { return false }
        (before, since, analyzing) = (before + since, 0, true)
        return true
    }

    public mutating func finished() { analyzing = false }
}
