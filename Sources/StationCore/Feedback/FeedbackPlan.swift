/// What a worker hears and sees for each outcome, as values: no device, no sound card.
///
/// A box may have a PC speaker or beeper (tones), scanners with keyboard LEDs (blinks), a
/// sound card (voice prompts) and a screen (the kiosk page). Each outcome has a distinct
/// tone pattern, so a worker who turned away can still tell a loan from a refusal.

/// One step of a tone pattern: a frequency (0: silence) held for a duration.
public struct Tone: Sendable, Hashable, CustomStringConvertible {
    public var hz: Int
    public var ms: Int

    public init(hz: Int, ms: Int) {
        self.hz = hz
        self.ms = ms
    }

    public var description: String { "\(hz)/\(ms)" }
}

/// Everything one outcome gives: tones, LED blinks, and whether its voice prompt plays.
public struct Signal: Sendable, Equatable {
    public var tones: [Tone]
    /// Blinks of the scanner's Scroll Lock LED (0: none); each is 120 ms on, 120 ms off.
    public var ledBlinks: Int
    /// Play the outcome's voice prompt where there is a sound card.
    public var voice: Bool

    public init(tones: [Tone], ledBlinks: Int, voice: Bool = true) {
        self.tones = tones
        self.ledBlinks = ledBlinks
        self.voice = voice
    }

    /// How long the tones last, in milliseconds.
    public var toneMillis: Int { tones.reduce(0) { $0 + $1.ms } }

    public static let ledOnMillis = 120
    public static let ledOffMillis = 120
}

/// The language prompts are spoken in and the kiosk page opens in.
public enum FeedbackLanguage: String, Sendable, CaseIterable {
    case zh
    case en
}

/// Outcome → signal, with the standard patterns and any the site's config overrides.
public struct FeedbackPlan: Sendable, Equatable {
    public private(set) var signals: [Outcome: Signal]

    public init(overrides: [Outcome: Signal] = [:]) {
        signals = Self.standard.merging(overrides) { _, new in new }
    }

    public func signal(for outcome: Outcome) -> Signal { signals[outcome] ?? Self.standard[outcome]! }

    /// Rising for taking something, falling for giving it back, low and long for "no",
    /// a double for "again". No two outcomes share a pattern.
    public static let standard: [Outcome: Signal] = [
        .sessionOpened: Signal(tones: [Tone(hz: 988, ms: 80)], ledBlinks: 1),
        .checkedOut: Signal(tones: [Tone(hz: 880, ms: 90), Tone(hz: 1319, ms: 120)], ledBlinks: 1),
        .renewed: Signal(tones: [Tone(hz: 1319, ms: 90), Tone(hz: 0, ms: 60), Tone(hz: 1319, ms: 90)], ledBlinks: 1),
        .returned: Signal(tones: [Tone(hz: 1319, ms: 90), Tone(hz: 880, ms: 120)], ledBlinks: 1),
        .visitStarted: Signal(tones: [Tone(hz: 1047, ms: 250)], ledBlinks: 1),
        .visitEnded: Signal(tones: [Tone(hz: 1047, ms: 120), Tone(hz: 784, ms: 250)], ledBlinks: 1),
        .modeChanged: Signal(tones: [Tone(hz: 1568, ms: 50), Tone(hz: 0, ms: 40), Tone(hz: 1568, ms: 50), Tone(hz: 0, ms: 40), Tone(hz: 1568, ms: 50)], ledBlinks: 2),
        .warning: Signal(tones: [Tone(hz: 880, ms: 150), Tone(hz: 0, ms: 80), Tone(hz: 660, ms: 300)], ledBlinks: 3),
        .refused: Signal(tones: [Tone(hz: 330, ms: 500)], ledBlinks: 4),
        .misread: Signal(tones: [Tone(hz: 440, ms: 120), Tone(hz: 0, ms: 80), Tone(hz: 440, ms: 120)], ledBlinks: 2),
        .storageError: Signal(tones: [Tone(hz: 220, ms: 300), Tone(hz: 0, ms: 100), Tone(hz: 220, ms: 300), Tone(hz: 0, ms: 100), Tone(hz: 220, ms: 300)], ledBlinks: 5),
        // A copy to put aside: three rising steps, "this one goes on"; its arrival: three falling.
        .transferOut: Signal(tones: [Tone(hz: 784, ms: 90), Tone(hz: 988, ms: 90), Tone(hz: 1175, ms: 160)], ledBlinks: 3),
        .transferIn: Signal(tones: [Tone(hz: 1175, ms: 90), Tone(hz: 988, ms: 90), Tone(hz: 784, ms: 160)], ledBlinks: 3),
        .holdReady: Signal(tones: [Tone(hz: 880, ms: 90), Tone(hz: 1319, ms: 90), Tone(hz: 1760, ms: 160)], ledBlinks: 1),
        .holdRefused: Signal(tones: [Tone(hz: 330, ms: 250), Tone(hz: 0, ms: 80), Tone(hz: 330, ms: 250)], ledBlinks: 4),
        // A stocktake sweeps a shelf at scanner speed: one short high tick a book, no voice.
        .stocktakeStarted: Signal(tones: [Tone(hz: 1568, ms: 60), Tone(hz: 2093, ms: 120)], ledBlinks: 2),
        .stocktakeSeen: Signal(tones: [Tone(hz: 2093, ms: 30)], ledBlinks: 0, voice: false),
        .stocktakeEnded: Signal(tones: [Tone(hz: 2093, ms: 60), Tone(hz: 1568, ms: 120)], ledBlinks: 2),
    ]

    /// A tone pattern as the config writes it: `"880/90 0/60 1319/120"` (Hz/ms, 0 Hz is
    /// a pause). Frequencies a PC speaker can play (0 or 20–20,000 Hz), 10–2,000 ms
    /// a step, at most 16 steps and 3 s in all: feedback must end before the next scan.
    public static func tones(_ text: String) throws(FeedbackPlanError) -> [Tone] {
        let steps = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard !steps.isEmpty else { throw FeedbackPlanError("no tones: write e.g. \"880/90 1319/120\" (Hz/ms)") }
        guard steps.count <= 16 else { throw FeedbackPlanError("\(steps.count) tones: at most 16") }
        var out: [Tone] = []
        for step in steps {
            let parts = step.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let hz = Int(parts[0]), let ms = Int(parts[1]) else {
                throw FeedbackPlanError("`\(step)` is not Hz/ms (e.g. 880/90)")
            }
            guard hz == 0 || (20...20_000).contains(hz) else { throw FeedbackPlanError("`\(step)`: \(hz) Hz is outside 20–20000 (0 is a pause)") }
            guard (10...2000).contains(ms) else { throw FeedbackPlanError("`\(step)`: \(ms) ms is outside 10–2000") }
            out.append(Tone(hz: hz, ms: ms))
        }
        let total = out.reduce(0) { $0 + $1.ms }
        guard total <= 3000 else { throw FeedbackPlanError("the tones last \(total) ms: at most 3000") }
        return out
    }
}

public struct FeedbackPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The short spoken prompt and the kiosk headline of each outcome, in both languages.
/// `pinyin` (tone numbers) is what espeak-ng's `cmn-latn-pinyin` voice reads with the
/// right tones; the characters are what the screen shows.
public struct Prompt: Sendable, Equatable {
    public var outcome: Outcome
    public var hanzi: String
    public var pinyin: String
    public var english: String

    public func text(_ language: FeedbackLanguage) -> String { language == .zh ? hanzi : english }

    /// The file a prompt is rendered to: `<language>/<outcome>.wav`.
    public func fileName(_ language: FeedbackLanguage) -> String { "\(language.rawValue)/\(outcome.rawValue).wav" }

    public static let all: [Prompt] = [
        Prompt(outcome: .sessionOpened, hanzi: "请扫描图书", pinyin: "qing3 sao3 miao2 tu2 shu1", english: "Please scan your books"),
        Prompt(outcome: .checkedOut, hanzi: "借书成功", pinyin: "jie4 shu1 cheng2 gong1", english: "Borrowed"),
        Prompt(outcome: .renewed, hanzi: "续借成功", pinyin: "xu4 jie4 cheng2 gong1", english: "Renewed"),
        Prompt(outcome: .returned, hanzi: "还书成功", pinyin: "huan2 shu1 cheng2 gong1", english: "Returned"),
        Prompt(outcome: .visitStarted, hanzi: "欢迎使用", pinyin: "huan1 ying2 shi3 yong4", english: "Welcome"),
        Prompt(outcome: .visitEnded, hanzi: "再见", pinyin: "zai4 jian4", english: "Goodbye"),
        Prompt(outcome: .modeChanged, hanzi: "模式已切换", pinyin: "mo2 shi4 yi3 qie1 huan4", english: "Mode changed"),
        Prompt(outcome: .warning, hanzi: "请注意", pinyin: "qing3 zhu4 yi4", english: "Please note"),
        Prompt(outcome: .refused, hanzi: "无法办理", pinyin: "wu2 fa3 ban4 li3", english: "Not allowed"),
        Prompt(outcome: .misread, hanzi: "请重新扫描", pinyin: "qing3 chong2 xin1 sao3 miao2", english: "Please scan again"),
        Prompt(outcome: .storageError, hanzi: "设备故障，请联系管理员", pinyin: "she4 bei4 gu4 zhang4, qing3 lian2 xi4 guan3 li3 yuan2", english: "Device fault, please call the site manager"),
        Prompt(outcome: .transferOut, hanzi: "请转寄到其他站点", pinyin: "qing3 zhuan3 ji4 dao4 qi2 ta1 zhan4 dian3", english: "Please send this book on"),
        Prompt(outcome: .transferIn, hanzi: "预约图书已到，请放预约架", pinyin: "yu4 yue1 tu2 shu1 yi3 dao4, qing3 fang4 yu4 yue1 jia4", english: "A requested book: put it on the hold shelf"),
        Prompt(outcome: .holdReady, hanzi: "预约借书成功", pinyin: "yu4 yue1 jie4 shu1 cheng2 gong1", english: "Your requested book is yours"),
        Prompt(outcome: .holdRefused, hanzi: "此书已被预约", pinyin: "ci3 shu1 yi3 bei4 yu4 yue1", english: "This book is on hold for someone else"),
        Prompt(outcome: .stocktakeStarted, hanzi: "开始盘点", pinyin: "kai1 shi3 pan2 dian3", english: "Stocktake started"),
        Prompt(outcome: .stocktakeSeen, hanzi: "已清点", pinyin: "yi3 qing1 dian3", english: "Counted"),
        Prompt(outcome: .stocktakeEnded, hanzi: "盘点结束", pinyin: "pan2 dian3 jie2 shu4", english: "Stocktake ended"),
    ]

    public static func of(_ outcome: Outcome) -> Prompt { all.first { $0.outcome == outcome }! }
}
