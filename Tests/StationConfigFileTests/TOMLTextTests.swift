import Foundation
import StationTesting
import XCTest

@testable import StationConfigFile

/// The config file as site managers really write it: Chinese in comments and strings is
/// fine; Chinese where TOML wants ASCII, a lone `[` or a control character is a problem with
/// its line, never a crash (the TOML library asserts on them: found by the config fuzzer),
/// and a file saved in another encoding says so.
final class TOMLTextTests: XCTestCase {
    func testTextInStringsAndCommentsIsFineAndStrayCharactersAreFoundByLine() {
        let fine = [
            "# 书屋的配置\n[box]\nid = \"书屋-1\"\n",
            "a = 'literal 书'\nb = \"escaped \\\" 书\"\n",
            "s = \"\"\"\n多行 \"\" 书\n\"\"\"\nt = '''\n'' 书\n'''\n",
            // Up to two quotes just before the closing three belong to the string.
            "s = \"\"\"ends with a quote\"\"\"\"\nnext = \"书\"\n",
            "s = '''ends with two'''''\nnext = '书'\n",
            "s = \"\"\"line \\\n  continued 书\"\"\"\n",
            "k = \"a\" # 注释\n",
        ]
        let arrays = "a = [\n  [{ x = 1 }],\n  { y = [2, \"}\"] },\n]\nb = { c = [1, 2], d = {} }\n[next]\n"
        for text in fine + ["[box]\n[[signals]]\n[ \"quoted\" ]\na = [1, [2]]\n [ x ]\n", "a = \"\\t\"\t# tab\r\n", arrays] {
            XCTAssertNil(TOMLText.problem(text), text)
        }
        let outside = "outside quotes (keys, table names and values are ASCII; text goes in \"...\")"
        let unnamed = "a table header whose name does not start with a letter, a digit, _, - or a quote"
        let problems: [(String, Int, String)] = [
            ("[书]\n", 1, "书 \(outside)"), ("[box]\n书 = 1\n", 2, "书 \(outside)"), ("a = \"x\"\nb = 书\n", 2, "书 \(outside)"),
            ("a = \"\"\"\n\n\"\"\"\n[box.名]\n", 4, "名 \(outside)"), ("t = { 键 = 1 }\n", 1, "键 \(outside)"), ("a = 'x' 书\n", 1, "书 \(outside)"),
            ("[box]\n[\n", 2, unnamed), ("[!a]\n", 1, unnamed), ("  [ .a]\n", 1, unnamed), ("[[=]]\n", 1, unnamed), ("[", 1, "a table header without its name"),
            ("a = \"\u{3}\"\n", 1, "a control character (U+0003) is not TOML"), ("a = [1,}]\n", 1, "} where an array is open (it ends with ])"),
            ("a = [{},\n # c\n}]\n", 3, "} where an array is open (it ends with ])"), ("# \u{7f}\n", 1, "a control character (U+007F) is not TOML"),
        ]
        for (text, line, message) in problems {
            XCTAssertEqual(TOMLText.problem(text), TOMLText.Problem(line: line, message: message), text)
        }
    }

    func testAChineseTableNameIsAProblemWithItsLineNotACrash() throws {
        guard case .failure(let list) = StationConfig.parse("[box]\nid = \"a\"\nsite = \"s\"\n[书屋]\nx = 1\n", file: "station.toml") else {
            return XCTFail("parsed")
        }
        XCTAssertEqual(list.problems.map(\.description), ["station.toml:4: TOML syntax: 书 outside quotes (keys, table names and values are ASCII; text goes in \"...\")"])
    }

    func testAFileSavedInAnotherEncodingSaysSo() throws {
        let directory = try ProjectPaths.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("station.toml").path
        // "# 书屋" in GBK, as a Windows editor saves it by default.
        try Data([0x23, 0x20, 0xCA, 0xE9, 0xCE, 0xDD, 0x0A] + Array("[box]\nid = \"a\"\nsite = \"s\"\n".utf8)).write(to: URL(fileURLWithPath: path))
        guard case .failure(let list) = StationConfig.load(path: path) else { return XCTFail("loaded") }
        XCTAssertEqual(list.problems.map(\.message), ["the config file is not UTF-8 text (saved as GBK? save it as UTF-8)"])
    }
}
