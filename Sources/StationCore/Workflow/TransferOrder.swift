/// What this box knows of a requested copy it may scan, from the hub's pull list and hold
/// shelf and its own journal (a copy it trapped already is no longer an order).
public enum TransferOrder: Sendable, Equatable {
    /// A copy this site sends on: trapped in any mode (`transfer-out`), also when it comes
    /// back from a loan; `moved`: for no worker (a suggested move or a rotation's stage),
    /// to go on `destination`'s shelf.
    case send(request: String, destination: String, moved: Bool = false)
    /// A copy to be collected here: trapped on arrival (`transfer-in`), for the worker
    /// shown as `masked`.
    case expect(request: String, masked: String)
    /// On the hold shelf here until `untilMillis`: only its worker may borrow it.
    case held(request: String, masked: String, untilMillis: Int64)

    public var request: String {
        switch self {
        case .send(let r, _, _), .expect(let r, _), .held(let r, _, _): r
        }
    }
}
