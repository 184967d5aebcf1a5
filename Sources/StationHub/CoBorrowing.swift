/// "Readers who borrowed this title also borrowed": for each title, the other titles its
/// readers borrowed, each counted once per reader, ranked. A reader counts for a pair of
/// different titles (A, B) when one of their check-outs of A was asked about (in the
/// report's period and scope) and they borrowed B at any time. What the `also-borrowed`
/// report over every title answers, counted here from one row per check-out rather than
/// by a self-join in SQL (at 1,000,000 events: 600,000 check-outs, 2,000,000 pairs, which
/// SQLite grouped and ranked in seconds). Pure.
public enum CoBorrowing {
    /// One check-out: its reader, its book, and whether it is one asked about.
    public struct Read: Sendable, Equatable {
        public var reader: String
        public var item: String
        public var asked: Bool
        public init(reader: String, item: String, asked: Bool) { (self.reader, self.item, self.asked) = (reader, item, asked) }
    }

    /// One ranked pair: `title`'s readers who also borrowed `also`.
    public struct Pair: Sendable, Equatable {
        public var title: String
        public var rank: Int
        public var also: String
        public var readers: Int
    }

    /// Each title's first `limit` pairs by readers (most first), then by the other title's
    /// bytes; titles in the order of their bytes (the report's order on both engines).
    /// Check-outs and pairs are counted as sorted arrays of numbers, not hashed: a
    /// reader's check-outs are neighbours once sorted, and so are the readers of a pair.
    /// A book's title is the catalog's (`titles`, by item key), else its key.
    public static func ranked(_ reads: some Sequence<Read>, titles catalog: [String: String], limit: Int) -> [Pair] {
        // Each check-out as (reader, book, asked) in one number; books numbered as met.
        var itemIDs: [String: UInt32] = [:], items: [String] = []
        var readerIDs: [String: UInt32] = [:], last: (reader: String, id: UInt32)?
        var checkouts: [UInt64] = []
        for r in reads {
            let item = itemIDs[r.item] ?? {
                items.append(r.item)
                itemIDs[r.item] = UInt32(items.count - 1)
                return UInt32(items.count - 1)
            }()
            // Rows read in the reader's order (SQLite's index) skip the lookup.
            let reader: UInt32
            if let last, last.reader == r.reader {
                reader = last.id
            } else {
                reader = readerIDs[r.reader] ?? UInt32(readerIDs.count)
                readerIDs[r.reader] = reader
                last = (r.reader, reader)
            }
            checkouts.append(UInt64(reader) << 32 | UInt64(item) << 1 | (r.asked ? 1 : 0))
        }
        // Books by their titles, titles numbered in the order of their bytes, so that
        // sorted numbers are sorted titles.
        var titleIDs: [String: Int] = [:], titles: [String] = []
        let titleOfItem = items.map { key in
            let title = catalog[key] ?? key
            return titleIDs[title] ?? {
                titles.append(title)
                titleIDs[title] = titles.count - 1
                return titles.count - 1
            }()
        }
        let order = titles.indices.sorted { titles[$0].utf8.lexicographicallyPrecedes(titles[$1].utf8) }
        var place = [UInt32](repeating: 0, count: titles.count)
        for (i, t) in order.enumerated() { place[t] = UInt32(i) }
        for i in checkouts.indices {
            let c = checkouts[i]
            checkouts[i] = c & ~0xFFFF_FFFF | UInt64(place[titleOfItem[Int(UInt32(truncatingIfNeeded: c) >> 1)]]) << 1 | c & 1
        }
        checkouts.sort()
        // Each reader's distinct titles (asked when any check-out of it was), then its pairs.
        var pairs: [UInt64] = [], shelf: [(title: UInt32, asked: Bool)] = []
        var i = 0
        while i < checkouts.count {
            let reader = checkouts[i] >> 32
            shelf.removeAll(keepingCapacity: true)
            while i < checkouts.count, checkouts[i] >> 32 == reader {
                let title = UInt32(truncatingIfNeeded: checkouts[i]) >> 1, asked = checkouts[i] & 1 == 1
                if let previous = shelf.last, previous.title == title { shelf[shelf.count - 1].asked = asked || previous.asked } else { shelf.append((title, asked)) }
                i += 1
            }
            for a in shelf where a.asked {
                for b in shelf where b.title != a.title { pairs.append(UInt64(a.title) << 32 | UInt64(b.title)) }
            }
        }
        pairs.sort()
        // Runs of one pair are its readers; runs of one title its pairs, ranked.
        var ranked: [Pair] = [], counted: [(also: UInt32, readers: Int)] = []
        var j = 0
        while j < pairs.count {
            let a = pairs[j] >> 32
            counted.removeAll(keepingCapacity: true)
            while j < pairs.count, pairs[j] >> 32 == a {
                let pair = pairs[j]
                var n = 0
                while j < pairs.count, pairs[j] == pair { (n, j) = (n + 1, j + 1) }
                counted.append((UInt32(truncatingIfNeeded: pair), n))
            }
            counted.sort { x, y in x.readers != y.readers ? x.readers > y.readers : x.also < y.also }
            for (k, p) in counted.prefix(limit).enumerated() {
                ranked.append(Pair(title: titles[order[Int(a)]], rank: k + 1, also: titles[order[Int(p.also)]], readers: p.readers))
            }
        }
        return ranked
    }
}
