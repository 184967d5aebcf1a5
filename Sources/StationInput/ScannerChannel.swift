import StationSystem
import Glibc
import Logging
import StationCore

/// One attached scanner: its device, its decoder and its own framer.
final class ScannerChannel {
    let devnode: String
    let identity: DeviceIdentity
    let entry: DeviceEntry
    private var source: Source
    private var framer: ScanFramer
    /// After SYN_DROPPED, events are discarded until the next SYN_REPORT (as libevdev does).
    private var droppingUntilReport = false
    private var lastTime: Int64 = 0
    /// Monotonic minus kernel time, kept across reads so key gaps come from the kernel's
    /// timestamps, not from when a (possibly delayed) read returned.
    private var clockOffset: Int64?

    private enum Source {
        case evdev(EvdevDevice, KeymapDecoder)
        case tty(SerialLine, LineSplitter, TextDecoding.Encoding)
    }

    init(devnode: String, identity: DeviceIdentity, entry: DeviceEntry) throws {
        self.devnode = devnode
        self.identity = identity
        self.entry = entry
        framer = ScanFramer(settings: entry.framerSettings)
        switch entry.interface {
        case .evdev:
            let decoder = try KeymapDecoder(
                layout: LayoutSpec(layout: entry.layout ?? "us", variant: entry.variant), altCodePage: entry.altCodePage)
            let device = try EvdevDevice(devnode: devnode)
            do {
                try device.grab()
            } catch {
                device.close()
                throw error
            }
            source = .evdev(device, decoder)
        case .tty:
            let line = try SerialLine(devnode: devnode, baud: entry.baud ?? 9600)
            source = .tty(line, LineSplitter(), entry.encoding == .gb18030 ? .gb18030 : .utf8)
            // Lines are complete scans; the typing check does not apply to a serial line.
            framer = ScanFramer(settings: ScanFramer.Settings(suffix: .enter, maxLength: 4096, typingGapMicros: .max))
        }
    }

    var fd: Int32 {
        switch source {
        case .evdev(let d, _): d.fd
        case .tty(let t, _, _): t.fd
        }
    }

    var attachedInfo: AttachedScanner {
        var grabbed = false
        if case .evdev(let d, _) = source { grabbed = d.grabbed }
        return AttachedScanner(
            scannerID: identity.scannerID, devnode: devnode, model: entry.name, role: entry.role,
            interface: entry.interface, grabbed: grabbed)
    }

    var deadline: Int64? { framer.deadline }

    func expire(now: Int64) -> [InputReport] { reports(framer.expire(now: now)) }

    func abandon() -> [InputReport] { reports(framer.abandon { .unplugged(partialLength: $0) }) }

    func close() {
        switch source {
        case .evdev(let d, _): d.close()
        case .tty(let t, _, _): t.close()
        }
    }

    /// Reads what is available. Returns the reports, and `.some` when the device is gone.
    func service(logger: Logger) -> ([InputReport], SystemError??) {
        switch source {
        case .evdev(let device, let decoder):
            let result: EvdevDevice.ReadResult
            do { result = try device.readAvailable() } catch { return ([], .some(error)) }
            switch result {
            case .gone(let error): return ([], .some(error))
            case .events(let events): return (handle(events, decoder: decoder, logger: logger), nil)
            }
        case .tty(let line, var splitter, let encoding):
            let result: SerialLine.ReadResult
            do { result = try line.readAvailable() } catch { return ([], .some(error)) }
            switch result {
            case .gone(let error): return ([], .some(error))
            case .bytes(let bytes):
                let now = SystemClock.monotonicMicros()
                var out: [InputReport] = []
                for piece in splitter.feed(bytes) {
                    switch piece {
                    case .tooLong:
                        out.append(.rejected(scannerID: identity.scannerID, .tooLong(limit: splitter.maxLength)))
                    case .line(let raw):
                        guard let text = TextDecoding.decode(raw, as: encoding) else {
                            logger.warning(
                                "serial scan is not valid text",
                                metadata: ["scanner.id": "\(identity.scannerID)", "encoding": "\(encoding.rawValue)", "bytes": "\(raw.count)"])
                            out.append(.problem(devnode: devnode, scannerID: identity.scannerID,
                                                message: "\(raw.count) bytes that are not valid \(encoding.rawValue); check the scanner's output encoding"))
                            continue
                        }
                        out += reports(framer.feed(.text(text, at: now)))
                        out += reports(framer.feed(.terminator(.enter, at: now)))
                    }
                }
                source = .tty(line, splitter, encoding)
                return (out, nil)
            }
        }
    }

    private func handle(_ events: [InputEventRecord], decoder: KeymapDecoder, logger: Logger) -> [InputReport] {
        var out: [InputReport] = []
        // Times on the monotonic clock, spaced as the kernel stamped them. The offset only
        // shrinks (a late read must not stretch the gaps), unless the kernel's clock was
        // set, which moves it by more than a second.
        let now = SystemClock.monotonicMicros()
        let fresh = now - (events.last?.kernelMicros ?? 0)
        if let offset = clockOffset, abs(fresh - offset) < 1_000_000 {
            clockOffset = min(offset, fresh)
        } else {
            clockOffset = fresh
        }
        let offset = clockOffset ?? fresh
        for event in events {
            let at = max(lastTime, event.kernelMicros + offset)
            lastTime = at
            if event.type == InputEventRecord.evSyn {
                if event.code == InputEventRecord.synDropped {
                    droppingUntilReport = true
                    decoder.reset()
                    logger.warning("input events dropped by the kernel", metadata: ["scanner.id": "\(identity.scannerID)", "scanner.devnode": "\(devnode)"])
                    out += reports(framer.abandon(discardRest: true, at: at) { .eventsDropped(partialLength: $0) })
                } else if event.code == InputEventRecord.synReport {
                    droppingUntilReport = false
                }
                continue
            }
            guard !droppingUntilReport, event.type == InputEventRecord.evKey else { continue }
            for input in decoder.feed(code: event.code, value: event.value, at: at) {
                out += reports(framer.feed(input))
            }
        }
        return out
    }

    private func reports(_ outputs: [ScanFramer.Output]) -> [InputReport] {
        outputs.map {
            switch $0 {
            case .scan(let scan): .scan(scannerID: identity.scannerID, role: entry.role, scan)
            case .rejected(let why): .rejected(scannerID: identity.scannerID, why)
            }
        }
    }
}
