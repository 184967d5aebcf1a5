import StationCore

extension JournalEvent {
    /// The event as `stationd run --print` and `stationctl export` show it. The worker
    /// appears masked with the box-local hash; the sealed credential is left out.
    public var jsonLine: JSONLine {
        func opt(_ s: String?) -> JSONLine.Value { s.map { .string($0) } ?? .null }
        let d = draft
        return JSONLine([
            ("box_id", .string(boxID)), ("seq", .int(Int(seq))), ("epoch", .int(epoch)), ("site_id", .string(siteID)),
            ("scanner_id", opt(d.scannerID)), ("kind", .string(d.kind.rawValue)), ("wall_ms", .int(Int(time.wallMillis))),
            ("clock_synced", .bool(time.synchronized)), ("boot_id", .string(time.bootID)), ("mono_us", .int(Int(time.monotonicMicros))),
            ("item", opt(d.item?.key)), ("title", opt(d.item?.title)), ("worker", opt(d.worker?.masked)),
            ("worker_hash", opt(d.worker?.localHash)), ("due_date", opt(d.dueDate)), ("service", opt(d.service)),
            ("flags", .string(d.flags.joined(separator: ","))), ("refers_to", d.refersTo.map { .int(Int($0)) } ?? .null),
        ])
    }

    public static let csvHeader = "box_id,seq,epoch,site_id,scanner_id,kind,wall_ms,clock_synced,item,title,worker,due_date,service,flags,refers_to"

    public var csvLine: String {
        func field(_ s: String?) -> String {
            guard let s else { return "" }
            if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) { return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            return s
        }
        let d = draft
        return [
            field(boxID), String(seq), String(epoch), field(siteID), field(d.scannerID), d.kind.rawValue, String(time.wallMillis),
            time.synchronized ? "1" : "0", field(d.item?.key), field(d.item?.title), field(d.worker?.masked), field(d.dueDate),
            field(d.service), field(d.flags.joined(separator: ";")), d.refersTo.map { String($0) } ?? "",
        ].joined(separator: ",")
    }
}
