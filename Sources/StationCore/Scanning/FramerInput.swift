/// What the key decoder hands to a framer: characters and scan terminators, with times.
public enum FramerInput: Sendable, Equatable {
    /// One or more characters produced by one key press (ALT mode can produce several).
    case text(String, at: Int64)
    /// A terminating key: Enter, keypad Enter or Tab.
    case terminator(SuffixKey, at: Int64)
}

/// The key (or, on a serial line, the line ending) that ends a scan.
public enum SuffixKey: String, Sendable, Equatable, CaseIterable {
    case enter
    case tab
    /// No suffix: the scan ends when no key arrived for the idle timeout.
    case none
}
