import Foundation
import StationCore

/// What the console imports from a CSV file: titles into the catalog, cards into the
/// member list.
public enum ConsoleImport: String, Sendable, CaseIterable {
    case titles, members

    /// Where its form posts.
    var path: String { self == .titles ? "/console/catalog/import" : "/console/members/import" }
    var columns: Int { self == .titles ? 3 : 2 }
    var header: String { self == .titles ? "item_key" : "card_uid" }
    /// Its form's heading and button, and what the form says a line holds.
    var title: Phrase { self == .titles ? .importTitles : .importMembers }
    var help: Phrase { self == .titles ? .catalogCSVHelp : .membersCSVHelp }
    func may(_ role: ConsoleRole) -> Bool { self == .titles ? role.mayImportCatalog : role.mayImportMembers }
}

/// The import forms on the catalog page, a refused file's problems shown line by line,
/// and the progress page of an import under way (sent in pieces as it goes: the bar moves
/// without any script).
extension ConsolePages {
    /// The forms the reader's role may use (none for a site's manager).
    func importForms(_ session: ConsoleSession, members: Int?) -> HTML {
        let forms: [HTML] = ConsoleImport.allCases.filter { $0.may(session.role) }.map { kind in
            let title = t(kind.title), help = t(kind.help)
            let count: HTML = kind == .members && members != nil ? " <span class=\"small\">(\(t(.memberCards)) \(members ?? 0))</span>" : ""
            return """
                <h2>\(title)\(count)</h2><form method="post" action="\(kind.path)" enctype="multipart/form-data" class="fields">\
                <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.csvFile)) <input type="file" name="file" required accept=".csv,text/csv"></label>\
                <button>\(title)</button></form><p class="small">\(help)</p>
                """
        }
        return forms.joined()
    }

    /// A file refused before anything was written: every problem with its line (the first
    /// `shown`), and the form again.
    public func importRefused(_ kind: ConsoleImport, file: String?, problems: [CatalogImport.LineProblem], session: ConsoleSession, shown: Int = 500) -> HTML {
        let rows: [HTML] = problems.prefix(shown).map { "<tr><td class=\"num\">\($0.line)</td><td>\($0.text(language))</td></tr>" }
        let more: HTML = problems.count > shown ? "<p>\(problems.count - shown) \(t(.moreProblems))</p>" : ""
        return page(
            t(kind.title), session, .catalog,
            """
            <p class="error" role="alert">\(t(.nothingImported))</p><p class="small">\(file ?? "")</p>\
            <div class="scroll"><table><thead><tr><th class="num">\(t(.line))</th><th>\(t(.problem))</th></tr></thead><tbody>\(rows)</tbody></table></div>\
            \(more)\(importForms(session, members: nil))
            """)
    }

    /// The progress page in two halves: `head` is sent first, then a bar per step
    /// (``importProgress(_:)``: the last one drawn is the one seen), then the outcome, then
    /// `tail`.
    public func importUnderWay(_ kind: ConsoleImport, file: String?, lines: Int, session: ConsoleSession) -> (head: HTML, tail: HTML) {
        let marker = "<!--import-->"
        let whole = page(
            t(kind.title), session, .catalog,
            "<p>\(t(.importing)) \(file ?? "") · \(t(.linesRead)) \(lines)</p><div class=\"bars\">\(HTML(raw: marker))")
        let halves = whole.raw.components(separatedBy: marker)
        return (HTML(raw: halves[0]), HTML(raw: halves.count > 1 ? halves[1] : ""))
    }

    /// One step of the bar, in percent.
    public func importProgress(_ percent: Int) -> HTML {
        let p = min(100, max(0, percent))
        return "<progress max=\"100\" value=\"\(p)\">\(p)%</progress>\n"
    }

    /// How the import ended: counts and a way back, or why nothing was written.
    public func importOutcome(_ kind: ConsoleImport, read: Int, changed: Result<Int, HubError>) -> HTML {
        let (colon, comma) = language == "en" ? (": ", ", ") : ("：", "，")
        switch changed {
        case .success(let n):
            return """
                \(importProgress(100))</div><p class="note" role="status">\(t(.imported))\(colon)\(t(.linesRead)) \(read)\(comma)\(t(.newOrChanged)) \(n)</p>\
                <p><a href="/console/catalog">\(t(.backToCatalog))</a></p>
                """
        case .failure(let error):
            return "</div><p class=\"error\" role=\"alert\">\(t(.importFailed))\(colon)\(error.message)</p><p><a href=\"/console/catalog\">\(t(.backToCatalog))</a></p>"
        }
    }
}
