import Foundation
import StationTesting
import XCTest

/// The voice prompts as scripts/voices renders them with espeak-ng: one WAV for every
/// line of `stationd prompts`, measured by an independent checker in Debian's Python
/// (Tests/Checkers/wav_check.py): speech of a plausible length in a format aplay plays,
/// and Mandarin read from pinyin by the voice that says the tones.
final class VoicePromptTests: XCTestCase {
    struct PromptLine {
        var file: String
        var voice: String
        var text: String
    }

    /// What the checker measured of one file.
    struct Measure: Decodable {
        var file: String
        var error: String?
        var riff: Bool?
        var format: Int?
        var channels: Int?
        var sample_width: Int?
        var rate: Int?
        var duration: Double?
        var data_complete: Bool?
        var rms: Double?
        var peak: Double?
        var lead: Double?
    }

    /// Seconds a prompt may last. Measured with espeak-ng 1.51 (Debian 12) at scripts/voices'
    /// speeds: 0.84 s (en Borrowed) to 2.61 s (zh misread); the storage error is a sentence,
    /// 3.22 s in English and 4.16 s in Mandarin.
    static func durationBounds(_ file: String) -> ClosedRange<Double> {
        file.hasSuffix("/storage-error.wav") ? 1.0...6.0 : 0.3...4.0
    }

    func testEveryPromptIsRenderedAsSpeech() throws {
        let dir = try ProjectPaths.temporaryDirectory("voices")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompts = try Self.prompts()
        XCTAssertEqual(prompts.count, 36, "18 outcomes, zh and en")
        let rendered = try Self.render(into: dir.path)
        XCTAssertEqual(Set(rendered.keys), Set(prompts.map(\.file)), "scripts/voices renders exactly the prompts stationd lists")

        // Every file stationd would play, and nothing else.
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".wav") }
        XCTAssertEqual(Set(files), Set(prompts.map(\.file)), "the files in the voice directory")

        let measures = try Self.measure(dir.path, prompts.map(\.file))
        var table = ["file                      voice            duration  lead     rms"]
        for prompt in prompts {
            guard let m = measures[prompt.file] else { XCTFail("\(prompt.file): not measured"); continue }
            XCTAssertNil(m.error, "\(prompt.file): \(m.error ?? "")")
            XCTAssertEqual(m.riff, true, "\(prompt.file): RIFF/WAVE")
            XCTAssertEqual(m.format, 1, "\(prompt.file): PCM")
            XCTAssertEqual(m.channels, 1, "\(prompt.file): mono")
            XCTAssertEqual(m.sample_width, 2, "\(prompt.file): 16-bit")
            XCTAssertEqual(m.rate, 22050, "\(prompt.file): espeak-ng's rate")
            XCTAssertEqual(m.data_complete, true, "\(prompt.file): the header's data size is the file's")
            let duration = m.duration ?? 0
            let bounds = Self.durationBounds(prompt.file)
            XCTAssertTrue(bounds.contains(duration), "\(prompt.file): \(duration) s, not in \(bounds) s (\(prompt.text))")
            XCTAssertGreaterThan(m.rms ?? 0, 0.02, "\(prompt.file): silent")
            XCTAssertLessThan(m.lead ?? 1, 0.2, "\(prompt.file): the speech starts late")
            table.append(
                prompt.file.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + prompt.voice.padding(toLength: 17, withPad: " ", startingAt: 0)
                    + String(format: "%5.2f s  %4.2f s  %.3f", duration, m.lead ?? 0, m.rms ?? 0))
        }
        print("voice prompts, as rendered by scripts/voices:\n" + table.joined(separator: "\n"))

        // One outcome's zh and en prompts are different recordings; and no two outcomes
        // sound the same in either language.
        let bytes = try Dictionary(uniqueKeysWithValues: prompts.map { ($0.file, try Data(contentsOf: dir.appendingPathComponent($0.file))) })
        for prompt in prompts where prompt.file.hasPrefix("zh/") {
            let english = "en/" + prompt.file.dropFirst(3)
            XCTAssertNotNil(bytes[english], "\(prompt.file) has no English counterpart")
            XCTAssertNotEqual(bytes[prompt.file], bytes[english], "\(prompt.file) and \(english) are the same")
        }
        XCTAssertEqual(Set(bytes.values).count, bytes.count, "two prompts are the same recording")

        // A second run writes the same files (espeak-ng is deterministic).
        _ = try Self.render(into: dir.path)
        for (file, data) in bytes {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(file)), data, "\(file) changed on a second run")
        }
    }

    /// The Mandarin prompts are pinyin read by cmn-latn-pinyin: espeak-ng's phonemes for
    /// the text carry each syllable's written tone (third-tone sandhi applied) and no switch
    /// to English; the rendered file is that voice's reading, not `cmn`'s, which would
    /// read the tone numbers aloud as English digits.
    func testMandarinPromptsAreReadAsPinyinWithTheirTones() throws {
        let dir = try ProjectPaths.temporaryDirectory("voices-zh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let zh = try Self.prompts().filter { $0.file.hasPrefix("zh/") }
        XCTAssertEqual(zh.count, 18)
        let rendered = try Self.render(into: dir.path)
        for prompt in zh {
            XCTAssertEqual(prompt.voice, "cmn-latn-pinyin", prompt.file)
            let phonemes = try Self.run(["espeak-ng", "-v", prompt.voice, "-q", "-x", prompt.text]).joined(separator: " ")
            XCTAssertFalse(phonemes.contains("(en)"), "\(prompt.file): part of \"\(prompt.text)\" is read as English: \(phonemes)")
            // Mandarin phonemes carry no digits but the tone contour.
            let contours = phonemes.split(separator: " ").map { String($0.filter { $0.isASCII && $0.isNumber }) }.filter { !$0.isEmpty }
            let expected = Self.toneContours(prompt.text)
            XCTAssertEqual(contours.count, expected.count, "\(prompt.file): \(phonemes)")
            for (i, (got, want)) in zip(contours, expected).enumerated() {
                XCTAssertTrue(want.contains(got), "\(prompt.file) syllable \(i + 1) of \"\(prompt.text)\": tone \(got), expected \(want.joined(separator: " or ")) (\(phonemes))")
            }

            // The file is the pinyin voice's reading at the speed scripts/voices reports.
            let options = rendered[prompt.file] ?? []
            let file = try Data(contentsOf: dir.appendingPathComponent(prompt.file))
            for voice in ["cmn-latn-pinyin", "cmn"] {
                let other = dir.appendingPathComponent("check-\(voice).wav").path
                _ = try Self.run(["espeak-ng", "-v", voice] + options + ["-w", other, prompt.text])
                let same = try Data(contentsOf: URL(fileURLWithPath: other)) == file
                XCTAssertEqual(same, voice == "cmn-latn-pinyin", "\(prompt.file) \(same ? "is" : "is not") espeak-ng -v \(voice) \(options.joined(separator: " "))")
            }
        }
    }

    func testFailsLoudly() throws {
        let dir = try ProjectPaths.temporaryDirectory("voices-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        func fakeStationd(_ output: String) throws -> String {
            let path = dir.appendingPathComponent("stationd-\(UUID().uuidString.prefix(6))").path
            try "#!/bin/sh\nprintf '\(output)'\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            return path
        }
        let out = dir.appendingPathComponent("out").path
        let cases: [(String, String, String)] = [
            // espeak-ng itself would speak this one as Norwegian ("no" plus a variant).
            ("an unknown voice", try fakeStationd("xx/a.wav\\tno-such-voice\\thello\\n"), "xx/a.wav: espeak-ng has no voice no-such-voice"),
            ("no prompts", try fakeStationd(""), "prompts printed nothing"),
            ("no stationd", dir.appendingPathComponent("missing").path, "no stationd at"),
        ]
        for (name, stationd, message) in cases {
            let child = try ChildProcess([ProjectPaths.file("scripts/voices"), out, stationd])
            let code = child.wait(timeout: 60)
            XCTAssertNotNil(code, name)
            XCTAssertNotEqual(code, 0, "\(name): scripts/voices succeeded")
            XCTAssertTrue(child.standardError.contains(message), "\(name): \(child.standardError)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/xx/a.wav"), "a failed render left a file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/xx/a.wav.tmp"), "a failed render left a temporary file")
    }

    // MARK: - helpers

    /// `stationd prompts`, parsed.
    static func prompts() throws -> [PromptLine] {
        try run([ProjectPaths.executable("stationd"), "prompts"]).map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { throw ChildProcess.ProcessError(description: "stationd prompts: not FILE<TAB>VOICE<TAB>TEXT: \(line)") }
            return PromptLine(file: fields[0], voice: fields[1], text: fields[2])
        }
    }

    /// Runs scripts/voices into `dir`; the espeak-ng options it reports per file
    /// (`FILE<TAB>VOICE<TAB>OPTIONS`).
    static func render(into dir: String) throws -> [String: [String]] {
        let lines = try run([ProjectPaths.file("scripts/voices"), dir, ProjectPaths.executable("stationd")], timeout: 120)
        var options: [String: [String]] = [:]
        for line in lines {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 3 else { throw ChildProcess.ProcessError(description: "scripts/voices printed: \(line)") }
            options[fields[0]] = fields[2].split(separator: " ").map(String.init)
        }
        return options
    }

    /// wav_check.py's measures, by file.
    static func measure(_ dir: String, _ files: [String]) throws -> [String: Measure] {
        let lines = try run(["/usr/bin/python3", ProjectPaths.file("Tests/Checkers/wav_check.py"), dir] + files)
        let measures = try lines.map { try JSONDecoder().decode(Measure.self, from: Data($0.utf8)) }
        return Dictionary(measures.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The tone contours espeak-ng's Mandarin phonemes may show for each syllable of
    /// pinyin with tone numbers: 1 high (55), 2 rising (35), 4 falling (51), 3 low (21,
    /// 214 at the end), and 3 rising before another 3 (sandhi) within a phrase.
    static func toneContours(_ pinyin: String) -> [[String]] {
        var out: [[String]] = []
        for phrase in pinyin.split(whereSeparator: { ",.;".contains($0) }) {
            let tones = phrase.split(separator: " ").compactMap { $0.last?.wholeNumberValue }
            for (i, tone) in tones.enumerated() {
                switch tone {
                case 1: out.append(["55"])
                case 2: out.append(["35"])
                case 3: out.append(i + 1 < tones.count && tones[i + 1] == 3 ? ["35"] : ["21", "214"])
                case 4: out.append(["51"])
                default: out.append(["neutral tone \(tone)"])
                }
            }
        }
        return out
    }

    /// A program's stdout lines; throws on a non-zero exit or a timeout.
    @discardableResult
    static func run(_ argv: [String], timeout: TimeInterval = 60) throws -> [String] {
        let child = try ChildProcess(argv)
        let code = child.wait(timeout: timeout)
        guard code == 0 else {
            throw ChildProcess.ProcessError(description: "\(argv.joined(separator: " ")): exit \(code.map(String.init) ?? "timeout"): \(child.standardError)")
        }
        return child.lines
    }
}
