/// What brings a derived table's rows of some keys from what it holds to what they were
/// recomputed as: the rows to write (new or changed) and the keys of those to delete. Rows
/// are keyed by their first `keyWidth` values. An aggregate recomputed for a batch mostly
/// comes out as it was, so writing the difference instead of deleting and inserting every
/// row spares the index pages it would have rewritten. Pure.
struct RowDiff: Equatable {
    /// Rows new or changed, in the order they were recomputed.
    var writes: [SQLRow] = []
    /// Keys held that the recomputation no longer gives, in the order they were held.
    var deletes: [SQLRow] = []

    init(held: [SQLRow], recomputed: [SQLRow], keyWidth: Int) {
        var left: [SQLRow: SQLRow] = [:]
        for row in held { left[Array(row.prefix(keyWidth))] = row }
        for row in recomputed {
            if let was = left.removeValue(forKey: Array(row.prefix(keyWidth))), was == row { continue }
            writes.append(row)
        }
        deletes = held.map { Array($0.prefix(keyWidth)) }.filter { left[$0] != nil }
    }

    var isEmpty: Bool { writes.isEmpty && deletes.isEmpty }
}
