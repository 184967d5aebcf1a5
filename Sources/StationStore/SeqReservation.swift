import Foundation
import StationSystem

/// The highest `seq` this box may have used, and its journal epoch, kept in a small file
/// outside the database and fsync'd before any `seq` above the old mark is used. So `seq`
/// continues above anything ever used even when the database is replaced.
struct SeqReservation {
    static let blockSize: Int64 = 1000

    let path: String
    private(set) var reservedThrough: Int64
    private(set) var epoch: Int

    /// Reads the file; a missing file is a new box (nothing reserved, epoch 0).
    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            reservedThrough = 0
            epoch = 0
            return
        }
        let fields = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 3, fields[0] == "station-seq-v1", let r = Int64(fields[1]), let e = Int(fields[2]), r >= 0, e >= 0 else {
            throw JournalError.seqFileDamaged(path)
        }
        reservedThrough = r
        epoch = e
    }

    /// Makes `seq` usable: reserves the next block when it lies beyond the mark.
    mutating func ensure(_ seq: Int64) throws {
        guard seq > reservedThrough else { return }
        try write(reservedThrough: seq + Self.blockSize - 1, epoch: epoch)
    }

    /// Starts a new epoch (a declared gap) above everything reserved so far and above
    /// `atLeast` (the epoch the database knew, should this file have been lost).
    mutating func newEpoch(above atLeast: Int = 0) throws -> (epoch: Int, firstSeq: Int64) {
        let first = reservedThrough + 1
        try write(reservedThrough: first + Self.blockSize - 1, epoch: max(epoch, atLeast) + 1)
        return (epoch, first)
    }

    /// A ``DurableFile``: the mark is durable before any `seq` it covers is used.
    private mutating func write(reservedThrough r: Int64, epoch e: Int) throws {
        do {
            try DurableFile.write(Data("station-seq-v1 \(r) \(e)\n".utf8), to: path, mode: 0o640)
        } catch {
            throw JournalError.io("\(error.call) \(error.path ?? path)", error.errno)
        }
        reservedThrough = r
        epoch = e
    }
}
