/// What a command tells its user when it cannot do what was asked (not a mistyped command
/// line): printed as `Error: ...`, exit 1, without the usage text a mistyped one gets.
public struct CommandError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
