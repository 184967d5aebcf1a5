/// What a printed control card asks the kiosk to do.
public enum ControlAction: Sendable, Equatable, Hashable {
    case mode(KioskMode)
    /// End the worker's session now.
    case done
    /// Throw away the current session without recording anything more.
    case cancel
    /// Choose the service of a visit (rest, water, charging, lactation, ...).
    case service(String)

    /// The name used in tables, JSON and on the printed card.
    public var name: String {
        switch self {
        case .mode(let m): "mode:\(m.rawValue)"
        case .done: "done"
        case .cancel: "cancel"
        case .service(let s): "service:\(s)"
        }
    }

    public init?(name: String) {
        switch name {
        case "done": self = .done
        case "cancel": self = .cancel
        default:
            if name.hasPrefix("mode:"), let m = KioskMode(rawValue: String(name.dropFirst(5))) {
                self = .mode(m)
            } else if name.hasPrefix("service:"), name.count > 8,
                name.dropFirst(8).allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
            {
                self = .service(String(name.dropFirst(8)))
            } else {
                return nil
            }
        }
    }
}

/// The kiosk's modes a control card can switch to.
public enum KioskMode: String, Sendable, Equatable, Hashable, CaseIterable {
    case checkout
    case `return`
    case renew
}

/// The codes printed on a site's control cards. Exact matches only: a control card is
/// recognised before anything else, so its codes must not look like books or credentials.
public struct ControlCardTable: Sendable, Equatable {
    public var actions: [String: ControlAction]

    public init(actions: [String: ControlAction]) {
        self.actions = actions
    }

    /// The codes every box knows; a site's table adds to or replaces them.
    public static let standard = ControlCardTable(actions: [
        "STN-MODE-CHECKOUT": .mode(.checkout),
        "STN-MODE-RETURN": .mode(.return),
        "STN-MODE-RENEW": .mode(.renew),
        "STN-DONE": .done,
        "STN-CANCEL": .cancel,
        "STN-SVC-REST": .service("rest"),
        "STN-SVC-WATER": .service("water"),
        "STN-SVC-CHARGING": .service("charging"),
        "STN-SVC-LACTATION": .service("lactation"),
        "STN-SVC-CHILDCARE": .service("childcare"),
        "STN-SVC-LEGAL-AID": .service("legal-aid"),
    ])
}
