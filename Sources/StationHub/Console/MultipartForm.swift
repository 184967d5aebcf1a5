import Foundation

/// A `multipart/form-data` body (RFC 7578: a browser's file upload) read into its parts,
/// each with its field name, its file name if it is a file, and its bytes. Pure: the
/// console's import forms read their CSRF token and their CSV through it.
public struct MultipartForm: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var name: String
        public var filename: String?
        public var bytes: [UInt8]
    }

    public private(set) var parts: [Part] = []

    static func refused(_ why: String) -> HubError { HubError(.invalid, "the upload is not a form a browser sends: \(why)", code: "invalid-form") }

    /// `contentType` is the request's header (its `boundary` parameter separates the parts).
    public init(contentType: String, body: [UInt8]) throws {
        let header = Self.parameters(contentType)
        guard header.value.lowercased() == "multipart/form-data" else { throw Self.refused("it is \(header.value), not multipart/form-data") }
        guard let boundary = header.parameters["boundary"], (1...70).contains(boundary.utf8.count) else { throw Self.refused("no boundary") }
        let delimiter = Array("--\(boundary)".utf8), next = Array("\r\n--\(boundary)".utf8)
        guard var at = Self.find(delimiter, in: body, from: 0) else { throw Self.refused("no part") }
        at += delimiter.count
        while true {
            // After a delimiter: `--` ends the body, a line break starts a part.
            if body[at...].starts(with: Array("--".utf8)) { return }
            guard body[at...].starts(with: [13, 10]) else { throw Self.refused("a boundary is not followed by a line break") }
            guard let headersEnd = Self.find([13, 10, 13, 10], in: body, from: at + 2) else { throw Self.refused("a part's headers never end") }
            guard let headers = String(validating: body[(at + 2)..<headersEnd], as: UTF8.self) else { throw Self.refused("a part's headers are not UTF-8") }
            // The part ends at the next line that is the boundary itself (followed by a line
            // break or `--`), not at one that merely starts like it.
            var search = headersEnd + 4, found: Int?
            while let candidate = Self.find(next, in: body, from: search) {
                let after = body[(candidate + next.count)...]
                if after.starts(with: [13, 10]) || after.starts(with: Array("--".utf8)) {
                    found = candidate
                    break
                }
                search = candidate + 1
            }
            guard let end = found else { throw Self.refused("the last part never ends") }
            parts.append(try Self.part(headers, Array(body[(headersEnd + 4)..<end])))
            at = end + next.count
        }
    }

    static func part(_ headers: String, _ bytes: [UInt8]) throws -> Part {
        for line in headers.split(separator: "\r\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2, kv[0].lowercased() == "content-disposition" else { continue }
            let disposition = parameters(String(kv[1]))
            guard disposition.value.lowercased() == "form-data", let name = disposition.parameters["name"] else { break }
            return Part(name: name, filename: disposition.parameters["filename"], bytes: bytes)
        }
        throw refused("a part has no form-data name")
    }

    /// A header's value and its `; key=value` parameters (a quoted value may hold `;`).
    static func parameters(_ text: String) -> (value: String, parameters: [String: String]) {
        var pieces: [String] = [], piece = "", quoted = false, escaped = false
        for c in text {
            if escaped {
                piece.append(c)
                escaped = false
            } else if quoted && c == "\\" {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == ";" && !quoted {
                pieces.append(piece)
                piece = ""
            } else {
                piece.append(c)
            }
        }
        pieces.append(piece)
        var out: [String: String] = [:]
        for p in pieces.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            out[kv[0].trimmingCharacters(in: .whitespaces).lowercased()] = String(kv[1])
        }
        return (pieces[0].trimmingCharacters(in: .whitespaces), out)
    }

    /// Where `needle` first starts in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The text of the first part named `name`, nil when absent or not UTF-8.
    public func field(_ name: String) -> String? {
        parts.first { $0.name == name }.flatMap { String(validating: $0.bytes, as: UTF8.self) }
    }

    /// The first part named `name`.
    public func part(_ name: String) -> Part? { parts.first { $0.name == name } }
}
