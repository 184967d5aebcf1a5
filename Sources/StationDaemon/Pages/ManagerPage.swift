import Foundation
import StationCore
import StationStore

/// The site manager's page: scanners, pending sync, last hub contact, the recent device
/// log, and the printable cards. Rendered on the server: it works without scripts.
enum ManagerPage {
    static func html(_ s: ManagerSnapshot) -> String {
        func field(_ line: JSONLine, _ key: String) -> String {
            guard let value = line.fields.first(where: { $0.0 == key })?.1 else { return "–" }
            switch value {
            case .string(let t): return t
            case .int(let n): return String(n)
            case .bool(let b): return b ? "yes" : "no"
            default: return "–"
            }
        }
        var rows = ""
        if case .array(let attached)? = s.devices.fields.first(where: { $0.0 == "attached" })?.1 {
            for case .object(let d) in attached {
                rows += "<tr><td>\(Markup.escape(field(d, "scanner")))</td><td>\(Markup.escape(field(d, "model")))</td><td>\(Markup.escape(field(d, "devnode")))</td>"
                rows += "<td>\(Markup.escape(field(d, "interface")))</td><td>\(field(d, "grabbed") == "yes" ? "是 yes" : "否 no")</td></tr>\n"
            }
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"5\">没有扫描器 · no scanner attached</td></tr>\n" }
        var ignored = ""
        if case .array(let others)? = s.devices.fields.first(where: { $0.0 == "ignored" })?.1 {
            for case .object(let d) in others {
                ignored += "<li>\(Markup.escape(field(d, "devnode"))): \(Markup.escape(field(d, "reason")))</li>\n"
            }
        }
        var beepers = ""
        if case .array(let nodes)? = s.status.fields.first(where: { $0.0 == "beepers" })?.1 {
            beepers = nodes.compactMap { if case .string(let n) = $0 { n } else { nil } }.joined(separator: ", ")
        }
        let formatter = ISO8601DateFormatter()
        var log = ""
        switch s.log {
        case .success(let lines):
            for line in lines {
                let at = formatter.string(from: Date(timeIntervalSince1970: Double(line.at) / 1000))
                log += "<tr class=\"\(Markup.escape(line.level))\"><td>\(Markup.escape(at))</td><td>\(Markup.escape(line.level))</td><td>\(Markup.escape(line.scanner ?? "–"))</td><td>\(Markup.escape(line.message))</td></tr>\n"
            }
            if log.isEmpty { log = "<tr><td colspan=\"4\">–</td></tr>\n" }
        case .failure(let problem):
            log = "<tr class=\"error\"><td colspan=\"4\">设备日志无法读取 · the device log cannot be read: \(Markup.escape(problem.description))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>Station · \(Markup.escape(field(s.status, "box_id")))</title>
            <style>
            body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 24px; color: #111; }
            table { border-collapse: collapse; margin-bottom: 20px; } td, th { border: 1px solid #bbb; padding: 4px 10px; text-align: left; }
            tr.warning td, tr.error td { background: #fff0d0; } dt { font-weight: bold; } dd { margin: 0 0 8px 0; }
            @media print { body > :not(.transfers) { display: none; } .transfers { display: block; } }
            </style></head><body>
            <h1>站点管理 · Site manager</h1>
            <dl>
            <dt>设备 · Box</dt><dd>\(Markup.escape(field(s.status, "box_id"))) (\(Markup.escape(field(s.status, "site_id"))), \(Markup.escape(field(s.status, "site_kind"))))</dd>
            <dt>待同步 · Pending sync</dt><dd id="pending">\(Markup.escape(field(s.status, "pending")))</dd>
            <dt>最近联系总部 · Last hub contact</dt><dd id="last-sync">\(Markup.escape(field(s.status, "last_sync")))</dd>
            <dt>提示音 · Beepers</dt><dd id="beepers">\(beepers.isEmpty ? "无 none" : Markup.escape(beepers))</dd>
            <dt>语音 · Voice prompts</dt><dd id="voice">\(field(s.status, "voice") == "yes" ? "开 on" : "关 off")</dd>
            <dt>来不及播放的提示 · Cues dropped</dt><dd id="cues-dropped">\(Markup.escape(field(s.status, "cues_dropped")))</dd>
            <dt>运行时间 · Uptime</dt><dd>\(Markup.escape(field(s.status, "uptime_s"))) s</dd>
            </dl>
            \(transfersHTML(s.transfers, nowMillis: Int64(Date().timeIntervalSince1970 * 1000)))
            <h2>扫描器 · Scanners</h2>
            <table id="scanners"><tr><th>id</th><th>model</th><th>node</th><th>interface</th><th>grabbed</th></tr>
            \(rows)</table>
            \(ignored.isEmpty ? "" : "<h3>未使用的设备 · Devices not read</h3><ul>\(ignored)</ul>")
            <h2>设备日志 · Device log</h2>
            <table id="log"><tr><th>time</th><th>level</th><th>scanner</th><th>message</th></tr>
            \(log)</table>
            <h2>打印 · Printables</h2>
            <ul><li><a href="cards/control">控制卡 · Control cards (SVG)</a></li>
            <li><a href="cards/items">图书标签 · Item labels (SVG)</a></li></ul>
            </body></html>
            """
    }

    /// The pull list and the hold shelf, as the site manager prints them (the page prints
    /// only these).
    static func transfersHTML(_ lines: [(entry: Journal.TransferEntry, trappedAt: Int64?, title: String?)], nowMillis: Int64) -> String {
        var pulls = "", holds = ""
        for (e, trapped, title) in lines {
            let book = "<td>\(Markup.escape(e.itemKey))</td><td>\(Markup.escape(title ?? "–"))</td>"
            let words = TransferWords.state(e, trappedAt: trapped, nowMillis: nowMillis)
            let row = "<td>\(Markup.escape(words.zh + " · " + words.en))</td><td>\(Markup.escape(e.request + TransferWords.purpose(e)))</td></tr>\n"
            if let destination = e.destination {
                pulls += "<tr>\(book)<td>\(Markup.escape(destination))</td>" + row
            } else {
                holds += "<tr>\(book)<td>\(Markup.escape(e.masked ?? "****"))</td>" + row
            }
        }
        let none = "<tr><td colspan=\"5\">无 · none</td></tr>\n"
        return """
            <section class="transfers">
            <h2>待转寄 · To send on</h2>
            <table id="pulls"><tr><th>条码 · item</th><th>书名 · title</th><th>转寄至 · to</th><th>状态 · state</th><th>预约 · request</th></tr>
            \(pulls.isEmpty ? none : pulls)</table>
            <h2>预约架 · Hold shelf</h2>
            <table id="holds"><tr><th>条码 · item</th><th>书名 · title</th><th>为 · for</th><th>状态 · state</th><th>预约 · request</th></tr>
            \(holds.isEmpty ? none : holds)</table>
            </section>
            """
    }
}

/// What a line of the pull list or the hold shelf stands at, in both languages: the manager
/// page and `stationctl pulls` say it alike.
public enum TransferWords {
    public static func state(_ e: Journal.TransferEntry, trappedAt trapped: Int64?, nowMillis: Int64) -> (zh: String, en: String) {
        func day(_ ms: Int64) -> String { LocalDate(wallMillis: ms).description }
        if e.destination != nil {
            return trapped.map { ("已于 \(day($0)) 转出", "sent \(day($0))") } ?? ("请找到并扫描", "find it and scan it")
        }
        guard let until = e.holdEnds(arrivedAt: trapped) else { return ("在途", "on its way") }
        return until > nowMillis ? ("保留至 \(day(until))", "waits until \(day(until))") : ("已过保留期", "hold ended")
    }

    /// What a pull for no worker is, after its request's id: a move or a rotation's stage.
    public static func purpose(_ e: Journal.TransferEntry) -> String {
        switch e.purpose {
        case "move"?: " (调书 · move)"
        case "rotation"?: " (轮换 · rotation)"
        default: ""
        }
    }
}
