import Foundation
import StationCore
import StationInput
import StationTesting

/// In-process figures for the scan path: key decoding + framing, and recognition.
/// Prints a table and, with `--json FILE`, writes the numbers there. A benchmark reports
/// numbers; it asserts nothing.

struct Figure: Codable {
    var name: String
    var value: Double
    var unit: String
}

func measure(_ body: () -> Int) -> (count: Int, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let count = body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (count, seconds)
}

/// evdev key events of one scan of `text` (digits and capitals) plus Enter, 2 ms apart.
func keyEvents(_ text: String) -> [(UInt16, Int32)] {
    let digitCodes: [Character: UInt16] = ["1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11, "-": 12]
    let letterCodes: [Character: UInt16] = ["A": 30, "B": 48, "C": 46, "L": 38, "I": 23]
    var out: [(UInt16, Int32)] = []
    for ch in text {
        if let code = digitCodes[ch] {
            out += [(code, 1), (code, 0)]
        } else if let code = letterCodes[ch] {
            out += [(42, 1), (code, 1), (code, 0), (42, 0)]
        }
    }
    return out + [(28, 1), (28, 0)]
}

func benchDecodeAndFrame(scans: Int) throws -> Figure {
    let decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
    var framer = ScanFramer(settings: .init(suffix: .enter))
    let stream = keyEvents("9787111213826") + keyEvents("LIB-000123") + keyEvents("ABC-1234")
    var produced = 0
    let (events, seconds) = measure {
        var t: Int64 = 0
        var n = 0
        for _ in 0..<(scans / 3) {
            for (code, value) in stream {
                t += 2_000
                for input in decoder.feed(code: code, value: value, at: t) {
                    for output in framer.feed(input) { if case .scan = output { produced += 1 } }
                }
                n += 1
            }
        }
        return n
    }
    precondition(produced == (scans / 3) * 3, "the benchmark's scans did not frame")
    return Figure(name: "decoder+framer", value: Double(events) / seconds, unit: "key events/s")
}

func benchRecognize(rounds: Int) throws -> Figure {
    var gen = TestIdentities(seed: 1)
    let codes = [
        "9787111213826", "0306406152", "978711121382651299", "9771144875007", "036000291452", "6901234567892",
        "9787111213827", "LIB-000123", "STN-DONE", gen.valid(), gen.valid(), "hello",
    ]
    let recognizer = CodeRecognizer(itemLabels: [try CodePattern(name: "labels", pattern: "LIB-[0-9]{6}")])
    let moment = CodeRecognizer.Moment(unixSeconds: 1_795_000_000, today: (2026, 11, 29))
    var valid = 0
    let (count, seconds) = measure {
        for _ in 0..<rounds {
            for code in codes where recognizer.recognize(code, at: moment).summary.valid { valid += 1 }
        }
        return rounds * codes.count
    }
    precondition(valid > 0)
    return Figure(name: "recogniser", value: Double(count) / seconds, unit: "codes/s")
}

var jsonPath: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--json" { jsonPath = args.popFirst() }
}
let figures = [try benchDecodeAndFrame(scans: 300_000), try benchRecognize(rounds: 50_000)]
print("figure            value          unit")
for f in figures { print(f.name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%12.0f", f.value) + "   " + f.unit) }
if let jsonPath {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(figures).write(to: URL(fileURLWithPath: jsonPath))
}
