import Foundation

/// A thread-safe map that forgets everything when it fills up: cheap, and enough for a
/// cache whose entries come back in bursts.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: Value] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(_ key: Key) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: Key, _ value: Value) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = value
    }
}

/// Something done at most once per key and interval (a box's last contact written, a
/// warning logged): `admit` answers, when it is due, how many times it was held back
/// since the last. In memory, bounded like ``BoundedCache``.
final class Pacer: Sendable {
    struct Entry: Sendable {
        var lastMillis: Int64
        var held: Int
    }
    let entries: BoundedCache<String, Entry>
    let intervalMillis: Int64

    init(intervalMillis: Int64, capacity: Int) {
        self.intervalMillis = intervalMillis
        entries = BoundedCache(capacity: capacity)
    }

    func admit(_ key: String, nowMillis: Int64) -> Int? {
        let last = entries.value(key)
        if let last, nowMillis - last.lastMillis < intervalMillis {
            entries.store(key, Entry(lastMillis: last.lastMillis, held: last.held + 1))
            return nil
        }
        entries.store(key, Entry(lastMillis: nowMillis, held: 0))
        return last?.held ?? 0
    }
}
