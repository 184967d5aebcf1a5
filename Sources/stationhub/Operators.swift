import ArgumentParser
import Foundation
import Glibc
import StationHub
import StationProtocol

/// `stationhub operator`: the console's accounts.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "The console's accounts: who signs in to /console/, and what they see.",
        subcommands: [Add.self, List.self, Passwd.self, Disable.self, Enable.self])

    struct PasswordSource: ParsableArguments {
        @Option(help: "Read the password from this file (its first line), or - for standard input; without it, it is asked for.")
        var passwordFile: String?

        /// The password from the file, or asked twice at the terminal (not echoed).
        func read() throws -> String {
            if let passwordFile { return try readSecret(passwordFile, what: "password") }
            guard isatty(0) == 1 else { throw CommandError("no terminal to ask for the password on: give --password-file FILE (or - for standard input)") }
            guard let first = getpass("Password: ").map({ String(cString: $0) }), let second = getpass("Again: ").map({ String(cString: $0) }) else {
                throw CommandError("no password given")
            }
            guard first == second else { throw CommandError("the two passwords differ: nothing changed") }
            return first
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account: a union operator, a region's organiser, or a site's manager.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The account's name (letters, digits, - _ . @): the audit log calls them by it.") var name: String
        @Option(help: "union (every site), region:REGION (its sites), or site:SITE (that site).") var role: String
        @OptionGroup var password: PasswordSource
        func run() async throws {
            let role: ConsoleRole
            do { role = try ConsoleRole(parsing: self.role) } catch { throw CommandError("\(error)") }
            let (name, secret) = (name, try password.read())
            let known = try await hub.with { store in
                try await store.addOperator(name, role: role, password: secret)
                return try await store.sites(scope: role).count
            }
            print("operator \(name) created: \(role.text)")
            if case .region(let r) = role, known == 0 { print("note: no site is in region \(r) yet; the account sees nothing until one is") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every account, its role, and whether it is disabled.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var format: ListFormat
        func run() async throws {
            let accounts = try await hub.with { try await $0.operators() }
            let zone = try hub.timeZone
            format.print(accounts, columns: ["name", "role", "language", "created", "disabled"]) {
                [$0.name, $0.role, $0.language, HumanTime.text($0.createdMillis, zone), $0.disabledMillis.map { HumanTime.text($0, zone) }]
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password; its sessions end.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var password: PasswordSource
        func run() async throws {
            let (name, secret) = (name, try password.read())
            try await hub.with { try await $0.setOperatorPassword(name, password: secret) }
            print("operator \(name): password set, sessions ended")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it cannot sign in, and its live sessions end at once.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The account's name.") var name: String
        func run() async throws {
            let name = name
            try await hub.with { try await $0.setOperatorDisabled(name, true) }
            print("operator \(name) disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The account's name.") var name: String
        func run() async throws {
            let name = name
            try await hub.with { try await $0.setOperatorDisabled(name, false) }
            print("operator \(name) enabled")
        }
    }
}
