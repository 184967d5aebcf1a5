import StationCore

extension InputReport {
    /// The `stationd listen --json` line for this report. Credential-shaped scans are
    /// masked unless `raw`.
    public func jsonLine(raw: Bool = false) -> JSONLine {
        func opt(_ s: String?) -> JSONLine.Value { s.map { .string($0) } ?? .null }
        switch self {
        case .attached(let s):
            return JSONLine([
                ("type", .string("attached")), ("scanner", .string(s.scannerID)), ("devnode", .string(s.devnode)),
                ("model", .string(s.model)), ("role", .string(s.role.rawValue)), ("interface", .string(s.interface.rawValue)),
                ("grabbed", .bool(s.grabbed)),
            ])
        case .detached(let id, let devnode, let reason):
            return JSONLine([("type", .string("detached")), ("scanner", .string(id)), ("devnode", .string(devnode)), ("reason", .string(reason))])
        case .ignored(let devnode, let vendor, let product, let reason):
            return JSONLine([
                ("type", .string("ignored")), ("devnode", .string(devnode)), ("vendor", opt(vendor)), ("product", opt(product)),
                ("reason", .string(reason)),
            ])
        case .scan(let id, let role, let scan):
            let masked = raw ? nil : CredentialShape.mask(scan.text, role: role)
            var line = JSONLine([
                ("type", .string("scan")), ("scanner", .string(id)), ("role", .string(role.rawValue)),
                ("text", .string(masked ?? scan.text)), ("aim", opt(scan.aim)),
            ])
            if masked != nil { line.append("masked", .bool(true)) }
            return line
        case .rejected(let id, let why):
            return JSONLine([("type", .string("rejection")), ("scanner", .string(id)), ("reason", .string(why.name)), ("detail", .string(why.detail))])
        case .hint(let devnode, let message):
            return JSONLine([("type", .string("hint")), ("devnode", .string(devnode)), ("message", .string(message))])
        case .problem(let devnode, let id, let message):
            return JSONLine([("type", .string("problem")), ("devnode", .string(devnode)), ("scanner", opt(id)), ("message", .string(message))])
        }
    }
}
