import Crypto
import Foundation
import Logging
import StationCore
import StationStore
import StationTesting

/// `station-bench fill --state-dir DIR --box ID --site ID --events N [--seed S]
/// [--hub-key BASE64]`: a realistic backlog in a box's journal, as a bookshelf would
/// record it over months offline (half check-outs by 300 generated workers, each
/// number sealed once to the hub as the box does, 40 % returns, 10 % visits). For sync tests and the drain
/// benchmark; it asserts nothing.
enum Fill {
    static func run(_ arguments: [String]) throws {
        var state: String?, box = "box-test-1", site = "site-a", count = 100_000, seed: UInt64 = 1, hubKey: String?
        var args = arguments[...]
        while let a = args.popFirst() {
            switch a {
            case "--state-dir": state = args.popFirst()
            case "--box": box = args.popFirst() ?? box
            case "--site": site = args.popFirst() ?? site
            case "--events": count = Int(args.popFirst() ?? "") ?? count
            case "--seed": seed = UInt64(args.popFirst() ?? "") ?? seed
            case "--hub-key": hubKey = args.popFirst()
            default: throw BenchError(description: "unknown argument \(a)")
            }
        }
        guard let state else { throw BenchError(description: "--state-dir is required") }
        var logger = Logger(label: "fill")
        logger.logLevel = .error
        // A backlog is written, not recorded: without a sync per event (a million takes
        // minutes instead of an hour). The journal is closed, checkpointed and synced below.
        let journal = try Journal(directory: state, boxID: box, siteID: site, options: .init(synchronous: "OFF"), logger: logger)
        let hub = try hubKey.map { try Curve25519.KeyAgreement.PublicKey(rawRepresentation: Data(base64Encoded: $0) ?? Data()) } ?? Curve25519.KeyAgreement.PrivateKey().publicKey
        let keys = CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 1, hubKey: hub, hubVersion: 1)
        var rng = TestIdentities(seed: seed)
        // A few hundred regular borrowers, as at a real shelf.
        var workers: [WorkerRef] = []
        for _ in 0..<300 {
            workers.append(WorkerRef(try CredentialProtector.protect(RawCredential(kind: .residentID, secret: rng.valid()), keys: keys)))
        }
        let start = Int64(1_790_000_000_000)
        for n in 0..<count {
            let wall = start + Int64(n) * 60_000 + Int64(rng.number(in: 0...59_999))
            let time = EventTime(wallMillis: wall, synchronized: true, bootID: "f0e1d2c3-b4a5-4968-8776-655443322110", monotonicMicros: wall * 1000 - start * 1000)
            let item = ItemRef(key: String(format: "label:LIB-%06d", rng.number(in: 1...120_000)))
            let roll = rng.number(in: 0...9)
            let draft: EventDraft
            if roll < 5 {
                // One seal per worker, as the box keeps it (a re-seal every ~10,000 workers).
                let worker = workers[rng.number(in: 0...(workers.count - 1))]
                draft = EventDraft(kind: .checkout, scannerID: "usb-1eab-0103", item: item, worker: worker, dueDate: "2026-12-29")
            } else if roll < 9 {
                draft = EventDraft(kind: .return, scannerID: "usb-1eab-0103", item: item)
            } else {
                draft = EventDraft(kind: roll % 2 == 0 ? .visitStart : .visitEnd, scannerID: "usb-1eab-0103", worker: workers[rng.number(in: 0...(workers.count - 1))], service: "rest")
            }
            _ = try journal.append(draft, time: time)
        }
        try journal.close()
        sync()
        print("\(count) events in \(state) (box \(box), site \(site), seed \(seed))")
    }
}

struct BenchError: Error, CustomStringConvertible { var description: String }
