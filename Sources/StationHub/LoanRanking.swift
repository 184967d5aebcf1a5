/// The titles borrowed most, per region or over every site: loans summed per region and
/// title, ranked by loans (most first), then by the title's bytes; regions in the order of
/// their bytes. What `most-borrowed` and `restock` answer from `book_month`, ranked here
/// from its rows rather than grouped in SQL (at 1,000,000 events 592,714 (book, site,
/// month) rows, each joined with its site and its title and sorted into groups: 1.4 s in
/// `sqlite3`). Pure.
public enum LoanRanking {
    /// A book's loans at a site (in one month of the period).
    public struct Loans: Sendable, Equatable {
        public var site: String
        public var item: String
        public var loans: Int64
        public init(site: String, item: String, loans: Int64) { (self.site, self.item, self.loans) = (site, item, loans) }
    }

    /// One ranked title of a region: its loans, at how many sites.
    public struct Ranked: Sendable, Equatable {
        public var region: String
        public var rank: Int
        public var title: String
        public var loans: Int64
        public var sites: Int
    }

    /// `regions`: each site's region (`""` for none; loans at a site it does not name count
    /// nowhere, as a join with the sites drops them), or nil: one region `""` of every
    /// site. `titles`: a book's title in the catalog, else its key is its title. Each
    /// region's first `limit` titles but those `excluding` names.
    public static func ranked(
        _ loans: some Sequence<Loans>, regions: [String: String]?, titles catalog: [String: String], excluding: Set<String> = [], limit: Int
    ) -> [Ranked] {
        var regionIDs: [String: UInt32] = [:], regionNames: [String] = regions == nil ? [""] : []
        let regionOfSite = (regions ?? [:]).mapValues { region in
            regionIDs[region] ?? {
                regionNames.append(region)
                regionIDs[region] = UInt32(regionNames.count - 1)
                return UInt32(regionNames.count - 1)
            }()
        }
        var titleIDs: [String: UInt32] = [:], titleNames: [String] = [], titleOfItem: [String: UInt32] = [:]
        var sites: [String: (id: UInt32, region: UInt32?)] = [:]
        // Each row as (region and title, site, loans); sorted, a title's rows are neighbours
        // and so are its rows at one site.
        var rows: [(key: UInt64, site: UInt32, loans: Int64)] = []
        for l in loans {
            let site = sites[l.site] ?? {
                let site = (id: UInt32(sites.count), region: regions == nil ? 0 : regionOfSite[l.site])
                sites[l.site] = site
                return site
            }()
            guard let region = site.region else { continue }
            let title = titleOfItem[l.item] ?? {
                let name = catalog[l.item] ?? l.item
                let id = titleIDs[name] ?? UInt32(titleNames.count)
                if id == titleNames.count { titleNames.append(name) }
                titleIDs[name] = id
                titleOfItem[l.item] = id
                return id
            }()
            rows.append((UInt64(region) << 32 | UInt64(title), site.id, l.loans))
        }
        rows.sort { x, y in x.key != y.key ? x.key < y.key : x.site < y.site }
        var byRegion: [[(title: UInt32, loans: Int64, sites: Int)]] = Array(repeating: [], count: regionNames.count)
        var i = 0
        while i < rows.count {
            let key = rows[i].key, title = UInt32(truncatingIfNeeded: key)
            var total: Int64 = 0, sites = 0, site: UInt32?
            while i < rows.count, rows[i].key == key {
                total += rows[i].loans
                if rows[i].site != site { (sites, site) = (sites + 1, rows[i].site) }
                i += 1
            }
            if !excluding.contains(titleNames[Int(title)]) { byRegion[Int(key >> 32)].append((title, total, sites)) }
        }
        func bytewise(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        // Titles' places in the order of their bytes, once: ties are broken by numbers.
        var place = [Int](repeating: 0, count: titleNames.count)
        for (i, t) in titleNames.indices.sorted(by: { bytewise(titleNames[$0], titleNames[$1]) }).enumerated() { place[t] = i }
        var ranked: [Ranked] = []
        for r in regionNames.indices.sorted(by: { bytewise(regionNames[$0], regionNames[$1]) }) {
            let best = byRegion[r].sorted { x, y in x.loans != y.loans ? x.loans > y.loans : place[Int(x.title)] < place[Int(y.title)] }
            for (i, t) in best.prefix(limit).enumerated() {
                ranked.append(Ranked(region: regionNames[r], rank: i + 1, title: titleNames[Int(t.title)], loans: t.loans, sites: t.sites))
            }
        }
        return ranked
    }
}
