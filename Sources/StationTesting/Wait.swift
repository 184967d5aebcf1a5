import Foundation

/// Polls `condition` every `interval` seconds until it holds or `seconds` have passed;
/// the last answer.
public func waitUntil(_ seconds: Double, interval: Double = 0.25, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return try condition()
}
