import StationSystem
import CXKBCommon
import StationCore

/// Turns evdev key codes into characters with libxkbcommon, for one scanner's layout.
/// No hand-written keymap tables: shift, caps lock, AltGr, dead-key-free layouts and the
/// keypad (NumLock assumed on, as scanners assume) all come from xkb. "ALT mode" (Alt +
/// keypad decimal code, how scanners type non-ASCII) is decoded here too.
public final class KeymapDecoder {
    public enum LayoutError: Error, CustomStringConvertible {
        case layoutDoesNotCompile(String)
        public var description: String {
            switch self {
            case .layoutDoesNotCompile(let spec): "xkb layout `\(spec)` does not compile (is xkb-data installed?)"
            }
        }
    }

    private let keymap: OpaquePointer
    private var state: OpaquePointer
    private let altCodePage: AltCodePage
    private var altDigits = ""
    private let altMod: xkb_mod_index_t
    private let ctrlMod: xkb_mod_index_t
    private let numMask: xkb_mod_mask_t

    /// evdev key codes of KP0...KP9, in digit order.
    private static let keypadDigits: [UInt16] = [82, 79, 80, 81, 75, 76, 77, 71, 72, 73]

    public init(layout: LayoutSpec, altCodePage: AltCodePage? = nil) throws {
        guard let keymap = Self.compile(layout) else { throw LayoutError.layoutDoesNotCompile(layout.description) }
        self.keymap = keymap
        self.altCodePage = altCodePage ?? .unicode
        altMod = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_ALT)
        ctrlMod = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_CTRL)
        let num = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_NUM)
        numMask = num == XKB_MOD_INVALID ? 0 : (1 << num)
        state = xkb_state_new(keymap)
        reset()
    }

    deinit {
        xkb_state_unref(state)
        xkb_keymap_unref(keymap)
    }

    /// Whether a layout compiles, for the device table lint.
    public static func compiles(_ layout: LayoutSpec) -> Bool {
        guard let keymap = compile(layout) else { return false }
        xkb_keymap_unref(keymap)
        return true
    }

    private static func compile(_ layout: LayoutSpec) -> OpaquePointer? {
        guard let context = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES) else { return nil }
        defer { xkb_context_unref(context) }
        return layout.layout.withCString { layoutName in
            (layout.variant ?? "").withCString { variant in
                "evdev".withCString { rules in
                    "pc105".withCString { model in
                        var names = xkb_rule_names(rules: rules, model: model, layout: layoutName, variant: variant, options: nil)
                        return xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS)
                    }
                }
            }
        }
    }

    /// Forgets every held key and modifier (after SYN_DROPPED or a replug), NumLock on.
    public func reset() {
        xkb_state_unref(state)
        state = xkb_state_new(keymap)
        xkb_state_update_mask(state, 0, 0, numMask, 0, 0, 0)
        altDigits = ""
    }

    /// One evdev key event: `value` 1 press, 0 release, 2 autorepeat.
    public func feed(code: UInt16, value: Int32, at time: Int64) -> [FramerInput] {
        let keycode = xkb_keycode_t(code) + 8
        switch value {
        case 0:
            let wasAlt = isActive(altMod)
            xkb_state_update_key(state, keycode, XKB_KEY_UP)
            if wasAlt && !isActive(altMod) && !altDigits.isEmpty {
                defer { altDigits = "" }
                if let text = TextDecoding.altCode(altDigits, codePage: altCodePage) {
                    return [.text(text, at: time)]
                }
            }
            return []
        case 1, 2:
            var out: [FramerInput] = []
            if isActive(altMod), let digit = Self.keypadDigits.firstIndex(of: code) {
                altDigits += String(digit)
            } else {
                let sym = xkb_state_key_get_one_sym(state, keycode)
                switch Int32(sym) {
                case XKB_KEY_Return, XKB_KEY_KP_Enter, XKB_KEY_ISO_Enter:
                    out.append(.terminator(.enter, at: time))
                case XKB_KEY_Tab, XKB_KEY_ISO_Left_Tab, XKB_KEY_KP_Tab:
                    out.append(.terminator(.tab, at: time))
                default:
                    if !isActive(ctrlMod) && !isActive(altMod), let text = utf8(keycode), !text.isEmpty {
                        out.append(.text(text, at: time))
                    }
                }
            }
            if value == 1 { xkb_state_update_key(state, keycode, XKB_KEY_DOWN) }
            return out
        default:
            return []
        }
    }

    private func isActive(_ mod: xkb_mod_index_t) -> Bool {
        mod != XKB_MOD_INVALID && xkb_state_mod_index_is_active(state, mod, XKB_STATE_MODS_EFFECTIVE) > 0
    }

    /// The printable text of a key in the current state; control characters are dropped.
    private func utf8(_ keycode: xkb_keycode_t) -> String? {
        var buffer = [CChar](repeating: 0, count: 16)
        let n = xkb_state_key_get_utf8(state, keycode, &buffer, buffer.count)
        guard n > 0, n < buffer.count else { return nil }
        let text = String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
        return text
    }
}
