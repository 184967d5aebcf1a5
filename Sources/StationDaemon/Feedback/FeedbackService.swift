import Foundation
import Glibc
import Logging
import StationConfigFile
import StationCore
import StationInput
import StationSystem

/// Turns outcomes into tones, LED blinks and voice prompts on a thread of its own.
///
/// `post` only appends to a short queue under a lock and returns: a slow or absent sink
/// can never delay a scan, whose event is committed before its outcome is posted. When
/// the queue is full the oldest cue is dropped; the worker is waiting for the newest.
public final class FeedbackService: @unchecked Sendable {
    struct Cue {
        var outcome: Outcome
        /// The evdev node of the scanner that read the code (LED blinks), if any.
        var scannerNode: String?
        var postedMicros: Int64
    }

    public let settings: FeedbackSettings
    let logger: Logger
    private let condition = NSCondition()
    private var queue: [Cue] = []
    private var stopping = false
    private var thread: Thread?
    private(set) var dropped = 0
    private let finished = DispatchSemaphore(value: 0)
    static let capacity = 4
    /// A cue older than this is dropped unplayed: feedback for a scan the worker has
    /// already walked away from would only be confused with the next one's.
    static let staleMicros: Int64 = 1_500_000

    /// Opened at start, on the feedback thread only from then on.
    private var beepers: [SignalDevice] = []
    private var voice: VoicePlayer?
    /// For `summary`, under the condition's lock.
    private var beeperNodes: [String] = []
    private var voiceOn = false

    public init(settings: FeedbackSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Finds the sinks and starts the feedback thread.
    public func start() {
        openBeepers()
        voice = VoicePlayer.make(settings: settings, logger: logger)
        condition.withLock {
            beeperNodes = beepers.map(\.devnode)
            voiceOn = voice != nil
        }
        let thread = Thread { [self] in run() }
        thread.name = "feedback"
        self.thread = thread
        thread.start()
    }

    func openBeepers() {
        var nodes: [String] = []
        switch settings.beeper {
        case .off: break
        case .devnode(let node): nodes = [node]
        case .auto:
            do { nodes = try SignalDevice.toneDevices() } catch { logger.warning("cannot look for beepers", metadata: ["error": "\(error)"]) }
        }
        for node in nodes {
            do {
                let beeper = try SignalDevice(devnode: node)
                // A tone left on by a daemon that was killed mid-cue ends here.
                try? beeper.tone(hz: 0)
                beepers.append(beeper)
                logger.notice("beeper found", metadata: ["beeper.devnode": "\(node)"])
            } catch {
                logger.warning("beeper cannot be opened: no tones from it", metadata: ["beeper.devnode": "\(node)", "error": "\(error)"])
            }
        }
        if beepers.isEmpty && settings.beeper != .off { logger.info("no beeper: tones are off (voice and the kiosk page still tell outcomes)") }
    }

    /// What the site manager sees (status, the manager page): the sinks in use and the
    /// cues dropped because the feedback could not keep up.
    public var summary: (beepers: [String], voice: Bool, dropped: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (beeperNodes, voiceOn, dropped)
    }

    /// Never blocks beyond a short lock; drops the oldest cue when the queue is full.
    public func post(_ outcome: Outcome, scannerNode: String?) {
        condition.lock()
        if queue.count >= Self.capacity {
            queue.removeFirst()
            dropped += 1
        }
        queue.append(Cue(outcome: outcome, scannerNode: scannerNode, postedMicros: SystemClock.monotonicMicros()))
        condition.signal()
        condition.unlock()
    }

    /// Ends the cue in hand at its next step, silences the beepers and ends the players;
    /// waits at most 1.5 s for the feedback thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        guard thread != nil else { return }
        _ = finished.wait(timeout: .now() + 1.5)
        // Silence even if the thread is still in a write: a tone must not outlive us.
        for beeper in beepers { try? beeper.tone(hz: 0) }
    }

    private var isStopping: Bool { condition.withLock { stopping } }

    private func next() -> Cue? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping { return nil }
            let cue = queue.removeFirst()
            if SystemClock.monotonicMicros() - cue.postedMicros <= Self.staleMicros { return cue }
            dropped += 1
        }
    }

    private func run() {
        while let cue = next() { play(cue) }
        // The descriptors stay open until the process ends: `stop` may still write to them.
        for beeper in beepers { try? beeper.tone(hz: 0) }
        voice?.stop()
        finished.signal()
    }

    /// One cue: the voice prompt starts first (a separate process), then tones and LED
    /// blinks run on one timeline.
    func play(_ cue: Cue) {
        let signal = settings.plan.signal(for: cue.outcome)
        if signal.voice { voice?.play(Prompt.of(cue.outcome), language: settings.language) }
        var leds: SignalDevice?
        if settings.leds, signal.ledBlinks > 0, let node = cue.scannerNode {
            do { leds = try SignalDevice(devnode: node) } catch { logger.debug("scanner LEDs cannot be written", metadata: ["scanner.devnode": "\(node)", "error": "\(error)"]) }
        }
        defer { leds?.close() }
        let origin = SystemClock.monotonicMicros()
        for step in Self.timeline(signal, beepers: !beepers.isEmpty, leds: leds != nil) {
            // Short sleeps, so that a stop ends the cue at its next step.
            while case let wait = step.atMillis - elapsedMillis(since: origin), wait > 0 {
                if isStopping { break }
                usleep(UInt32(min(wait, 50)) * 1000)
            }
            if isStopping {
                for beeper in beepers { try? beeper.tone(hz: 0) }
                return
            }
            switch step.action {
            case .tone(let hz):
                for beeper in beepers {
                    do { try beeper.tone(hz: hz) } catch { logger.debug("beeper write failed", metadata: ["beeper.devnode": "\(beeper.devnode)", "error": "\(error)"]) }
                }
            case .leds(let on):
                do { try leds?.scrollLock(on: on) } catch { logger.debug("scanner LED write failed", metadata: ["error": "\(error)"]) }
            }
        }
        logger.debug("feedback given", metadata: ["outcome": "\(cue.outcome.rawValue)", "beepers": "\(beepers.count)", "leds": "\(leds != nil)"])
    }

    private func elapsedMillis(since origin: Int64) -> Int { Int((SystemClock.monotonicMicros() - origin) / 1000) }

    struct Step: Equatable {
        enum Action: Equatable {
            case tone(Int)
            case leds(Bool)
        }
        var atMillis: Int
        var action: Action
    }

    /// Tones and LED blinks of one signal, in time order, in milliseconds from its start.
    static func timeline(_ signal: Signal, beepers: Bool, leds: Bool) -> [Step] {
        var steps: [Step] = []
        if beepers {
            var t = 0
            for tone in signal.tones {
                steps.append(Step(atMillis: t, action: .tone(tone.hz)))
                t += tone.ms
            }
            steps.append(Step(atMillis: t, action: .tone(0)))
        }
        if leds {
            for i in 0..<signal.ledBlinks {
                let start = i * (Signal.ledOnMillis + Signal.ledOffMillis)
                steps.append(Step(atMillis: start, action: .leds(true)))
                steps.append(Step(atMillis: start + Signal.ledOnMillis, action: .leds(false)))
            }
        }
        // Stable: at equal times tones stay before LEDs.
        return steps.enumerated().sorted { ($0.element.atMillis, $0.offset) < ($1.element.atMillis, $1.offset) }.map(\.element)
    }
}

/// Voice prompts: a player process (`aplay` by default) per prompt. A newer prompt cuts
/// the one still speaking; every player is reaped (none is left a zombie), without
/// waiting on the feedback thread's path.
final class VoicePlayer {
    let command: [String]
    let directory: String
    let logger: Logger
    /// Players started and not yet reaped; the last one may still be speaking.
    private var children: [pid_t] = []
    private var missingLogged = Set<String>()
    private var spawnFailureLogged = false

    init(command: [String], directory: String, logger: Logger) {
        self.command = command
        self.directory = directory
        self.logger = logger
    }

    static func make(settings: FeedbackSettings, logger: Logger) -> VoicePlayer? {
        switch settings.voice {
        case .off: return nil
        case .on: break
        case .auto:
            let pcm = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/snd")) ?? []
            guard pcm.contains(where: { $0.hasPrefix("pcmC") && $0.hasSuffix("p") }) else {
                logger.info("no sound card: voice prompts are off")
                return nil
            }
        }
        guard !settings.player.isEmpty else { return nil }
        logger.notice("voice prompts on", metadata: ["voice.directory": "\(settings.voiceDirectory)", "voice.language": "\(settings.language.rawValue)"])
        return VoicePlayer(command: settings.player, directory: settings.voiceDirectory, logger: logger)
    }

    func play(_ prompt: Prompt, language: FeedbackLanguage) {
        let file = directory + "/" + prompt.fileName(language)
        guard FileManager.default.fileExists(atPath: file) else {
            if missingLogged.insert(file).inserted { logger.warning("voice prompt missing: that outcome is not spoken", metadata: ["voice.file": "\(file)"]) }
            return
        }
        // The newest outcome is the one the worker waits for: cut whatever still speaks.
        for pid in children { kill(pid, SIGTERM) }
        reap()
        let argv = command + [file]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Threads of the daemon block signals; the player must start with none blocked and
        // SIGTERM/SIGPIPE at their defaults, or cutting it short would not work.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGPIPE, SIGINT, SIGHUP] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        if rc != 0 {
            // Once: a missing player would otherwise log at every scan.
            if !spawnFailureLogged {
                spawnFailureLogged = true
                logger.warning("voice player cannot start: prompts are silent", metadata: ["voice.player": "\(argv[0])", "error": "\(String(cString: strerror(rc)))"])
            }
            return
        }
        children.append(pid)
    }

    /// Collects every player that has ended, without waiting.
    func reap() {
        children.removeAll { pid in
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            return r == pid || (r == -1 && errno == ECHILD)
        }
    }

    /// Ends every player and waits for them (the daemon is stopping).
    func stop() {
        for pid in children {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        children = []
    }
}
