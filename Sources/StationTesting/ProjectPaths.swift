import Foundation

/// Where the tests find the project's files and its built programs.
public enum ProjectPaths {
    /// The package root (the directory holding Package.swift).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// A file or folder of the project, by its path from the root.
    public static func file(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A built executable of this package, from the same build as the running tests
    /// (the test bundle sits beside the executables), or `STATION_BIN_DIR`.
    public static func executable(_ name: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["STATION_BIN_DIR"] { return "\(dir)/\(name)" }
        var dir = Bundle.main.bundleURL
        // XCTest on Linux: the runner is .build/<config>/StationPackageTests.xctest.
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return root.appendingPathComponent(".build/debug/\(name)").path
    }

    /// A fresh private directory for one test.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("station-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
