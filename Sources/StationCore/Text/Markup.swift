/// Text placed in XML, SVG or HTML: the printed sheets, the enrollment card, the
/// manager page. One escape for all of them.
public enum Markup {
    /// Text for an XML element or attribute: markup characters escaped, characters XML
    /// 1.0 cannot carry at all (C0 controls but tab and newline, lone surrogates cannot
    /// occur in a Swift String, U+FFFE/U+FFFF) replaced by U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars {
            switch s {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(s)
            default:
                if s.value < 32 || s.value == 0xFFFE || s.value == 0xFFFF { out += "\u{FFFD}" } else { out.unicodeScalars.append(s) }
            }
        }
        return out
    }
}
