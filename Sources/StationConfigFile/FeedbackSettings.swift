import StationCore

/// The sinks of `[feedback]`: which devices and players a box uses.
public struct FeedbackSettings: Sendable, Equatable {
    public enum Beeper: Sendable, Equatable {
        /// Every input device udev reports with SND_TONE (a PC speaker, a beeper).
        case auto
        case off
        case devnode(String)
    }

    public enum Voice: String, Sendable, Equatable {
        /// Only where the box has a playback device (`/dev/snd/pcmC*D*p`).
        case auto
        case on
        case off
    }

    public var language: FeedbackLanguage = .zh
    public var beeper: Beeper = .auto
    public var leds = true
    public var voice: Voice = .auto
    public var voiceDirectory = "/usr/share/station/voices"
    public var player = ["aplay", "-q"]
    public var plan = FeedbackPlan()

    public init() {}
}
