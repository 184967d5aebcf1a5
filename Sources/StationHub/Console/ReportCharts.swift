import Foundation
import StationCore

/// What the console draws of each report: charts built from tables derived from the
/// report's own rows, so that the page's table, the chart and its CSV download are one
/// value. Pure.
public enum ReportCharts {
    /// One chart: the table it draws (the CSV download sends exactly this) and its SVG.
    public struct Chart: Sendable {
        public var id: String
        public var title: String
        public var table: Reports.Table
        public var svg: HTML
    }

    /// The reports the console shows, in its order, with their names in both languages.
    public static let titles: [(name: String, zh: String, en: String)] = [
        ("lending", "借阅指数", "Lending index"), ("drift", "图书漂流", "Drift between sites"), ("most-borrowed", "热门图书", "Most borrowed"),
        ("visits", "小屋与驿站使用", "Hut and station use"), ("overdue", "逾期未还", "Overdue"), ("also-borrowed", "借了又借", "Also borrowed"),
        ("restock", "补充书目", "Restock"), ("quiet-boxes", "失联设备", "Quiet boxes"), ("quarantine", "待处理记录", "Quarantine"),
        ("requests", "预约借阅", "Requests"), ("lost-in-transit", "转寄途中未到", "Lost in transit"), ("stocktake", "盘点结果", "Stocktake"),
        ("sleeping", "沉睡图书", "Sleeping books"), ("moves", "调书建议", "Suggested moves"),
    ]

    public static func title(_ name: String, _ language: String) -> String {
        guard let t = titles.first(where: { $0.name == name }) else { return name }
        return language == "en" ? t.en : t.zh
    }

    /// Column headings in Chinese (the English page shows the API's column names).
    static let columnNames: [String: String] = [
        "site": "站点", "month": "月份", "loans": "借出", "borrowers": "借阅人数", "returns": "归还", "from_site": "从站点", "to_site": "到站点",
        "books": "册数", "item_key": "条码", "title": "书名", "due_date": "应还日期", "borrower": "借阅人（化名）", "region": "区域", "rank": "排名",
        "service": "服务", "visits": "次数", "minutes": "分钟", "average_minutes": "平均分钟", "longest_minutes": "最长分钟", "weekday": "星期",
        "hour": "时", "box": "设备", "last_seen": "最后联系", "errors_last_day": "近一日错误", "why": "原因", "id": "编号", "seq": "序号",
        "reason": "原因", "received": "收到时间", "also_borrowed": "也借了", "readers": "读者数", "loans_elsewhere": "他处借出", "sites": "站点数",
        "label": "名称", "value": "数值", "placed": "预约", "collected": "已取走", "expired": "过期未取", "cancelled": "已取消", "open": "进行中",
        "median_fill_hours": "取书用时中位数（小时）", "p90_fill_hours": "九成取书用时（小时）", "since": "转出时间", "days": "天数", "request": "预约编号",
        "finding": "发现", "home_site": "所属站点", "seen": "扫到时间", "stocktake_from": "盘点开始", "stocktake_to": "盘点结束",
        "last_loan_month": "最后借出月份", "months_asleep": "未借月数", "open_requests": "预约中",
        "loans_there": "该站借出", "requests_there": "该站预约",
    ]

    public static func column(_ name: String, _ language: String) -> String {
        language == "en" ? name : columnNames[name] ?? name
    }

    /// Words a column holds that a Chinese page says in Chinese (a stocktake's findings).
    static let valueNames: [String: [String: String]] = [
        "finding": ["missing": "缺失（应在架未扫到）", "implied-return": "应已归还（在架但记为借出）", "misplaced": "错架或漂流（所属其他站点）", "unknown": "目录中没有"],
        "why": ["requested": "该站有人预约而架上没有", "borrowed": "该站常借而架上没有"],
    ]

    static func value(_ text: String, column: String, _ language: String) -> String {
        language == "en" ? text : valueNames[column]?[text] ?? text
    }

    /// Most bars a chart draws (its table and CSV hold the same).
    static let mostBars = 30
    /// Most sites on a side of the drift grid.
    static let mostGridSites = 25

    static let weekdays = (zh: ["一", "二", "三", "四", "五", "六", "日"], en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])

    static func int(_ v: SQLValue?) -> Int64 { v?.int ?? 0 }

    /// The charts of a report; `extra` is a second report some pages draw from
    /// (`visits` draws `visit-hours`). `names`: sites' names for labels.
    public static func charts(_ name: String, _ table: Reports.Table, extra: Reports.Table? = nil, names: [String: String], language: String) -> [Chart] {
        switch name {
        case "lending": lending(table, names: names, language: language)
        case "drift": drift(table, names: names, language: language)
        case "most-borrowed": mostBorrowed(table, names: names, language: language)
        case "visits": visits(table, extra: extra, names: names, language: language)
        default: []
        }
    }

    static func lending(_ table: Reports.Table, names: [String: String], language: String) -> [Chart] {
        let en = language == "en"
        func col(_ c: String) -> Int? { table.columns.firstIndex(of: c) }
        func label(_ site: String) -> String { names[site] ?? site }
        guard let site = col("site"), let month = col("month"), let loans = col("loans") else { return [] }
        var perSite: [String: Int64] = [:], perMonth: [String: [String: Int64]] = [:]
        for r in table.rows {
            let s = r[site].text ?? "", m = r[month].text ?? ""
            perSite[s, default: 0] += int(r[loans])
            perMonth[m, default: [:]][s, default: 0] += int(r[loans])
        }
        let ranked = perSite.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let rank = Reports.Table(columns: ["site", "loans"], rows: ranked.map { [.text($0.key), .int($0.value)] })
        let months = perMonth.keys.sorted()
        let shown = ranked.prefix(Charts.palette.count).map(\.key)
        let trend = Reports.Table(
            columns: ["month", "site", "loans"], rows: months.flatMap { m in shown.map { s in [.text(m), .text(s), .int(perMonth[m]?[s] ?? 0)] } })
        let rankTitle = en ? "Loans per site, most first" : "各站点借出册数排名"
        let trendTitle = en ? "Loans per month, the \(shown.count) busiest sites" : "借出月度趋势（借出最多的 \(shown.count) 个站点）"
        return [
            Chart(id: "rank", title: rankTitle, table: rank, svg: Charts.bars(ranked.map { (label($0.key), Double($0.value)) }, label: rankTitle)),
            Chart(
                id: "trend", title: trendTitle, table: trend,
                svg: Charts.lines(
                    shown.map { s in (label(s), months.map { Double(perMonth[$0]?[s] ?? 0) }) }, xLabels: months, label: trendTitle)),
        ]
    }

    static func drift(_ table: Reports.Table, names: [String: String], language: String) -> [Chart] {
        let en = language == "en"
        func col(_ c: String) -> Int? { table.columns.firstIndex(of: c) }
        func label(_ site: String) -> String { names[site] ?? site }
        guard let from = col("from_site"), let to = col("to_site"), let books = col("books") else { return [] }
        // The grid of the sites most books drift from or to (a union's 400 sites would be
        // a grid of 160,000 cells); the table and CSV of the chart are its flows.
        var moved: [String: Int64] = [:]
        for r in table.rows {
            for c in [from, to] { moved[r[c].text ?? "", default: 0] += int(r[books]) }
        }
        let busiest = Set(moved.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(mostGridSites).map(\.key))
        let drawn = table.rows.filter { busiest.contains($0[from].text ?? "") && busiest.contains($0[to].text ?? "") }
        let sources = Array(Set(drawn.compactMap { $0[from].text })).sorted()
        let targets = Array(Set(drawn.compactMap { $0[to].text })).sorted()
        let row = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1, $0) }), column = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1, $0) })
        var cells = Array(repeating: Array(repeating: Int64?(0), count: targets.count), count: sources.count)
        for r in drawn {
            if let i = row[r[from].text ?? ""], let j = column[r[to].text ?? ""] { cells[i][j] = int(r[books]) }
        }
        let many = moved.count > mostGridSites
        let title =
            en
            ? "Books returned elsewhere: from (rows) to (columns)\(many ? ", the \(mostGridSites) sites most books moved at" : "")"
            : "图书漂流：从（行）到（列）\(many ? "，漂流最多的 \(mostGridSites) 个站点" : "")"
        return [
            Chart(
                id: "flows", title: title, table: Reports.Table(columns: ["from_site", "to_site", "books"], rows: drawn.map { [$0[from], $0[to], $0[books]] }),
                svg: Charts.heatmap(rows: sources.map(label), columns: targets.map(label), cells: cells, label: title))
        ]
    }

    static func mostBorrowed(_ table: Reports.Table, names: [String: String], language: String) -> [Chart] {
        let en = language == "en"
        func col(_ c: String) -> Int? { table.columns.firstIndex(of: c) }
        func label(_ site: String) -> String { names[site] ?? site }
        guard let region = col("region"), let title = col("title"), let loans = col("loans") else { return [] }
        let regions = Set(table.rows.compactMap { $0[region].text })
        // The most borrowed of all the regions' lists, at most ``mostBars`` of them.
        let rows = table.rows.map { r -> (String, Int64) in
            let t = r[title].text ?? ""
            return (regions.count > 1 ? "\(r[region].text ?? "") · \(t)" : t, int(r[loans]))
        }.enumerated().sorted { $0.element.1 != $1.element.1 ? $0.element.1 > $1.element.1 : $0.offset < $1.offset }.prefix(mostBars).map(\.element)
        let chartTitle = en ? "Titles borrowed most" : "借出最多的图书"
        return [
            Chart(
                id: "titles", title: chartTitle, table: Reports.Table(columns: ["label", "loans"], rows: rows.map { [.text($0.0), .int($0.1)] }),
                svg: Charts.bars(rows.map { ($0.0, Double($0.1)) }, label: chartTitle))
        ]
    }

    static func visits(_ table: Reports.Table, extra: Reports.Table?, names: [String: String], language: String) -> [Chart] {
        let en = language == "en"
        func col(_ c: String) -> Int? { table.columns.firstIndex(of: c) }
        func label(_ site: String) -> String { names[site] ?? site }
        guard let service = col("service"), let minutes = col("minutes") else { return [] }
        var perService: [String: Int64] = [:]
        for r in table.rows where r[minutes] != .null { perService[r[service].text ?? "", default: 0] += int(r[minutes]) }
        let ranked = perService.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let minutesTitle = en ? "Minutes per service" : "各项服务使用分钟数"
        var charts = [
            Chart(
                id: "minutes", title: minutesTitle, table: Reports.Table(columns: ["service", "minutes"], rows: ranked.map { [.text($0.key), .int($0.value)] }),
                svg: Charts.bars(ranked.map { ($0.key.isEmpty ? "-" : ControlAction.service($0.key).caption, Double($0.value)) }, label: minutesTitle))
        ]
        if let hours = extra, let day = hours.columns.firstIndex(of: "weekday"), let hour = hours.columns.firstIndex(of: "hour"),
            let visits = hours.columns.firstIndex(of: "visits")
        {
            // A cell holding a withheld lactation count is withheld whole.
            var cells = Array(repeating: Array(repeating: Int64?(0), count: 24), count: 7)
            for r in hours.rows {
                guard let d = r[day].int, let h = r[hour].int, (1...7).contains(d), (0..<24).contains(h) else { continue }
                let (i, j) = (Int(d) - 1, Int(h))
                if let n = r[visits].int, let held = cells[i][j] { cells[i][j] = held + n } else { cells[i][j] = nil }
            }
            let table = Reports.Table(
                columns: ["weekday", "hour", "visits"],
                rows: (0..<7).flatMap { d in (0..<24).map { h in [.int(Int64(d + 1)), .int(Int64(h)), cells[d][h].map { .int($0) } ?? .null] } })
            let title = en ? "Visits by weekday and hour (hatched: withheld)" : "按星期与时段的使用次数（斜线：人数过少不显示）"
            charts.append(
                Chart(
                    id: "hours", title: title, table: table,
                    svg: Charts.heatmap(rows: en ? weekdays.en : weekdays.zh.map { "星期" + $0 }, columns: (0..<24).map(String.init), cells: cells, label: title)))
        }
        return charts
    }
}
