import Foundation

/// One measured number, as printed and as written to `--json`.
struct Figure: Codable {
    var name: String
    var value: Double
    var unit: String
}

func printFigures(_ figures: [Figure]) {
    print("figure                     value   unit")
    for f in figures {
        print(f.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: f.value < 100 ? "%12.3f" : "%12.0f", f.value) + "   " + f.unit)
    }
}

func writeFigures(_ figures: [Figure], to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(figures).write(to: URL(fileURLWithPath: path))
}
