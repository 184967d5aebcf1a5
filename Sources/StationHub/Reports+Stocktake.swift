/// The stocktake report: a site's latest stocktake against its ledger (``Stocktakes``).
/// One statement brings its boxes' starts and ends, their sightings, and the copies the
/// ledger has there or that were seen there; the findings are worked out here.
extension Reports {
    static let stocktakeColumns = ["finding", "item_key", "title", "home_site", "seen_ms", "box", "stocktake_from_ms", "stocktake_to_ms"]

    @Sendable static func stocktake(_ b: Bounds) throws -> Query {
        guard let site = b.p.site else { throw ReportError("stocktake is of one site: give --site") }
        let int = b.d.integer
        var q = Query(
            """
            SELECT 'mark' AS r, CAST(NULL AS TEXT) AS item_key, e.box_id, e.kind, e.corrected_ms AS at_ms, CAST(NULL AS TEXT) AS title,
                CAST(NULL AS TEXT) AS home_site, CAST(NULL AS TEXT) AS site_id, CAST(NULL AS \(int)) AS loaned_ms, CAST(NULL AS \(int)) AS in_transit,
                CAST(NULL AS \(int)) AS last_ms, CAST(NULL AS TEXT) AS hold_site
            FROM event e WHERE e.site_id = ? AND e.kind IN ('stocktake-start', 'stocktake-end') AND \(notVoided())
            UNION ALL
            SELECT 'seen', e.item_key, e.box_id, e.kind, e.corrected_ms, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM event e WHERE e.site_id = ? AND e.kind = 'seen' AND \(notVoided())
            UNION ALL
            SELECT 'copy', c.item_key, NULL, NULL, NULL, c.title, c.home_site, coalesce(b.site_id, c.home_site),
                CASE WHEN b.holder IS NULL THEN NULL ELSE coalesce(b.loaned_at_ms, 0) END, CASE WHEN b.transit_from IS NULL THEN 0 ELSE 1 END,
                (SELECT max(u.t) FROM (SELECT x.corrected_ms AS t FROM event x WHERE x.item_key = c.item_key AND x.kind <> 'seen' AND \(notVoided("x"))
                    UNION ALL SELECT k.at_ms FROM ledger_correction k WHERE k.item_key = c.item_key) u),
                b.hold_site
            FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key
            WHERE c.removed = 0 AND (coalesce(b.site_id, c.home_site) = ? OR c.item_key IN (SELECT s.item_key FROM event s WHERE s.site_id = ? AND s.kind = 'seen'))
            """, [.text(site), .text(site), .text(site), .text(site)], columns: stocktakeColumns)
        let now = b.p.nowMillis
        q.finish = { rows in rows = stocktakeRows(rows, site: site, nowMillis: now) }
        return q
    }

    /// The statement's rows as the report's: the findings of the site's latest stocktake.
    static func stocktakeRows(_ rows: [SQLRow], site: String, nowMillis: Int64) -> [SQLRow] {
        var marks: [Stocktakes.Mark] = [], sightings: [Stocktakes.Sighting] = [], copies: [Stocktakes.Copy] = []
        for r in rows {
            switch r[0].text {
            case "mark":
                if let box = r[2].text, let at = r[4].int { marks.append(Stocktakes.Mark(box: box, start: r[3].text == "stocktake-start", atMillis: at)) }
            case "seen":
                if let key = r[1].text, let box = r[2].text, let at = r[4].int { sightings.append(Stocktakes.Sighting(itemKey: key, box: box, atMillis: at)) }
            default:
                if let key = r[1].text {
                    copies.append(
                        Stocktakes.Copy(
                            itemKey: key, title: r[5].text, homeSite: r[6].text, site: r[7].text, onLoanSince: r[8].int, inTransit: r[9].int == 1,
                            heldHere: r[11].text == site, lastMillis: r[10].int))
                }
            }
        }
        guard let run = Stocktakes.runs(marks, nowMillis: nowMillis).last else { return [] }
        return Stocktakes.findings(site: site, run: run, sightings: sightings, copies: copies).map { f in
            [.text(f.kind.rawValue), .text(f.itemKey), SQLValue(f.title), SQLValue(f.homeSite), SQLValue(f.seen?.atMillis), SQLValue(f.seen?.box), .int(run.from), SQLValue(run.to)]
        }
    }
}
