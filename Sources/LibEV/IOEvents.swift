internal import CLibEVShims

/// Readiness of a file descriptor, as libev reports and watches it.
///
/// libev's `EV_READ`/`EV_WRITE` import as `Int`; this wraps them once so no call site converts.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let read = IOEvents(rawValue: Int32(CLibEVShims_EV_READ))
    public static let write = IOEvents(rawValue: Int32(CLibEVShims_EV_WRITE))
}
