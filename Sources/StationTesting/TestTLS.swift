import Foundation

/// A throwaway CA and a hub certificate for one IP address, signed by it (openssl), in
/// `directory`: for tests that reach a hub over HTTPS.
public enum TestTLS {
    public static func certificates(in directory: URL, ip: String) throws -> (ca: String, cert: String, key: String) {
        let p = { (name: String) in directory.appendingPathComponent(name).path }
        func run(_ argv: [String]) throws {
            let c = try ChildProcess(argv)
            guard c.wait(timeout: 60) == 0 else { throw ChildProcess.ProcessError(description: "\(argv.joined(separator: " ")): \(c.standardError)") }
        }
        try run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-subj", "/CN=Station test CA", "-keyout", p("ca.key"), "-out", p("ca.pem")])
        try run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(ip)",
                 "-keyout", p("hub.key"), "-out", p("hub.csr")])
        try "subjectAltName=IP:\(ip)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".write(toFile: p("ext.cnf"), atomically: true, encoding: .utf8)
        try run(["openssl", "x509", "-req", "-in", p("hub.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2",
                 "-extfile", p("ext.cnf"), "-out", p("hub.pem")])
        return (p("ca.pem"), p("hub.pem"), p("hub.key"))
    }
}
