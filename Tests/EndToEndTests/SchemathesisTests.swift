import Foundation
import StationTesting
import XCTest

/// schemathesis against a running hub with a valid box credential: generated requests to
/// every operation in docs/api/openapi.yaml, valid and invalid ones, no 5xx, every answer
/// as documented, and every invalid request refused (`negative_data_rejection`).
final class SchemathesisTests: XCTestCase {
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"

    func hubWithCredential(_ label: String) throws -> (HubProcess, String) {
        let hub = try HubProcess(label: label)
        try hub.admin(["site", "add", "shelf-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-1", "--site", "shelf-a"]).first)
        try hub.start()
        let enrolled = try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#)
        return (hub, try XCTUnwrap(enrolled.body["credential"] as? String))
    }

    func schemathesis(_ spec: String, hub: HubProcess, credential: String, seed: UInt64) throws -> (ChildProcess, Int32?) {
        let setup = try ChildProcess([ProjectPaths.file("scripts/test-venv")])
        XCTAssertEqual(setup.wait(timeout: 600), 0, setup.standardError)
        let st = try ChildProcess(
            [
                ProjectPaths.file(".build/venv-schemathesis/bin/st"), "--config-file", ProjectPaths.file("Tests/Differential/schemathesis.toml"), "run", spec, "-u", "http://127.0.0.1:\(hub.port)",
                "-H", "Authorization: Bearer \(credential)", "-c", checks, "-n", "25", "--seed", String(seed), "--no-color",
            ], environment: ["SCHEMATHESIS_HOOKS": "", "HOME": hub.directory.path])
        return (st, st.wait(timeout: 600))
    }

    func testGeneratedRequestsGetNo5xxAndDocumentedAnswers() throws {
        let seed = UInt64.random(in: 1..<(1 << 31))
        let (hub, credential) = try hubWithCredential("schemathesis")
        let (st, status) = try schemathesis(ProjectPaths.file("docs/api/openapi.yaml"), hub: hub, credential: credential, seed: seed)
        let out = st.lines.joined(separator: "\n")
        XCTAssertEqual(status, 0, "seed \(seed)\n" + out.suffix(4000))
        let summary = try XCTUnwrap(st.lines.first { $0.contains("generated,") }, out.suffix(2000).description)
        print("schemathesis (seed \(seed)): \(summary.trimmingCharacters(in: .whitespaces))")
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        XCTAssertGreaterThan(numbers.first ?? 0, 100, summary)
        XCTAssertEqual(numbers.first, numbers.dropFirst().first, "every generated case passed: \(summary)")
        hub.stop()
    }

    /// The same run against a document that lies about one answer fails: the check bites.
    func testADocumentThatDisagreesWithTheHubFails() throws {
        let (hub, credential) = try hubWithCredential("schemathesis-neg")
        let spec = try String(contentsOfFile: ProjectPaths.file("docs/api/openapi.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "required: [status]\n                properties:\n                  status: {type: string, const: ok}", with: "required: [status]\n                properties:\n                  status: {type: integer}")
        XCTAssertTrue(spec.contains("status: {type: integer}"), "the test's edit did not apply")
        let lying = hub.directory.appendingPathComponent("lying.yaml").path
        try spec.write(toFile: lying, atomically: true, encoding: .utf8)
        let (st, status) = try schemathesis(lying, hub: hub, credential: credential, seed: 1)
        XCTAssertNotEqual(status, 0, st.lines.joined(separator: "\n").suffix(3000).description)
        hub.stop()
    }
}
