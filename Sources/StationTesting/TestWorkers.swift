/// Workers as a box's events name them in tests: a box-local hash of the real shape (`v1:`
/// and 64 hex digits, as ``CredentialProtector`` makes them), spelling the test's own name
/// for the worker in hex at its end so that tests can still tell workers apart.
public enum TestWorkers {
    public static func localHash(_ who: String) -> String {
        let hex = who.utf8.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        precondition(hex.count <= 64, "a test worker's name of at most 32 bytes")
        return "v1:" + String(repeating: "0", count: 64 - hex.count) + hex
    }
}
