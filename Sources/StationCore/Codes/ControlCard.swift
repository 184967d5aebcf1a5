/// What a printed control card asks the kiosk to do.
public enum ControlAction: Sendable, Equatable, Hashable {
    case mode(KioskMode)
    /// End the worker's session now.
    case done
    /// Throw away the current session without recording anything more.
    case cancel
    /// Choose the service of a visit (rest, water, charging, lactation, ...).
    case service(String)
    /// A site manager's stocktake: every book scanned until it ends is counted as seen.
    case stocktakeStart
    case stocktakeEnd

    /// Cards for the site's manager alone: the printed sheet sets them apart.
    public var isManagers: Bool { self == .stocktakeStart || self == .stocktakeEnd }

    /// The name used in tables, JSON and on the printed card.
    public var name: String {
        switch self {
        case .mode(let m): "mode:\(m.rawValue)"
        case .done: "done"
        case .cancel: "cancel"
        case .service(let s): "service:\(s)"
        case .stocktakeStart: "stocktake:start"
        case .stocktakeEnd: "stocktake:end"
        }
    }

    public init?(name: String) {
        switch name {
        case "done": self = .done
        case "cancel": self = .cancel
        case "stocktake:start": self = .stocktakeStart
        case "stocktake:end": self = .stocktakeEnd
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
        "STN-STOCKTAKE-START": .stocktakeStart,
        "STN-STOCKTAKE-END": .stocktakeEnd,
    ])
}

extension ControlCardTable {
    /// The cards a site's workflow acts on, in the order a printed sheet shows them: the
    /// modes at a bookshelf; at huts and stations the services offered (every service
    /// card when the site names none, as the workflow then takes any); then done and
    /// cancel everywhere; a bookshelf's stocktake cards last, for its manager. A card the
    /// workflow would refuse here is not worth printing.
    public func cards(for settings: KioskSettings) -> [(code: String, action: ControlAction)] {
        let wanted: [ControlAction]
        switch settings.siteKind {
        case .bookshelf:
            wanted = KioskMode.allCases.map { .mode($0) } + [.done, .cancel, .stocktakeStart, .stocktakeEnd]
        case .hut, .station:
            let offered = settings.services.isEmpty ? Self.serviceOrder(actions.values) : settings.services
            wanted = offered.map { .service($0) } + [.done, .cancel]
        }
        return wanted.flatMap { action in actions.filter { $0.value == action }.keys.sorted().map { (code: $0, action: action) } }
    }

    /// Services offered in the config that no card here chooses.
    public func servicesWithoutCard(for settings: KioskSettings) -> [String] {
        guard settings.siteKind != .bookshelf else { return [] }
        return settings.services.filter { !actions.values.contains(.service($0)) }
    }

    /// The services this table's cards choose, in their usual order.
    public var services: [String] { Self.serviceOrder(actions.values) }

    /// The table's services, the standard ones in their usual order, others after them.
    static func serviceOrder(_ actions: Dictionary<String, ControlAction>.Values) -> [String] {
        let usual = ["rest", "water", "charging", "lactation", "childcare", "legal-aid"]
        let names = Set(actions.compactMap { if case .service(let s) = $0 { s } else { nil } })
        return usual.filter(names.contains) + names.subtracting(usual).sorted()
    }
}

extension ControlAction {
    /// The words printed with the card: Chinese for the workers, then English.
    public var caption: String {
        switch self {
        case .mode(.checkout): "借书 Check out"
        case .mode(.return): "还书 Return"
        case .mode(.renew): "续借 Renew"
        case .done: "完成 Done"
        case .cancel: "取消 Cancel"
        case .stocktakeStart: "盘点开始 Stocktake"
        case .stocktakeEnd: "盘点结束 End stocktake"
        case .service(let s):
            switch s {
            case "rest": "休息 Rest"
            case "water": "饮水 Drinking water"
            case "charging": "充电 Charging"
            case "lactation": "哺乳 Lactation"
            case "childcare": "育婴 Childcare"
            case "legal-aid": "法律援助 Legal aid"
            default: "服务 Service: \(s)"
            }
        }
    }
}
