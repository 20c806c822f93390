internal import CLibEVShims

/// Readiness of a file descriptor, as libev reports and watches it.
///
/// libev's `EV_READ`/`EV_WRITE` import as `Int`; this wraps them once so no call site converts.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    @inlinable
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    // libev's EV_READ and EV_WRITE (0x01, 0x02, part of its ABI) as literals: a `static let` read from
    // the shim is a lazily initialised global, and every use from another module went through its
    // `swift_once` check (several per keep-alive request). `libevRead`/`libevWrite` keep the shim's
    // values for the test that holds the two together.
    @inlinable public static var read: IOEvents { IOEvents(rawValue: 0x01) }
    @inlinable public static var write: IOEvents { IOEvents(rawValue: 0x02) }

    static var libevRead: Int32 { Int32(CLibEVShims_EV_READ) }
    static var libevWrite: Int32 { Int32(CLibEVShims_EV_WRITE) }
}
