internal import COpenSSL

/// One session ticket key in the layout nginx and haproxy use (80 bytes): a 16-byte key name that goes
/// into every ticket it protects, a 32-byte HMAC-SHA256 secret and a 32-byte AES-256-CBC key.
///
/// `description` never shows key material: only that it is a key, so a key cannot reach a log by
/// accident.
public struct TicketKey: Sendable, Equatable, CustomStringConvertible {
    public static let nameLength = 16
    public static let secretLength = 32
    public static let byteCount = nameLength + 2 * secretLength

    /// name, HMAC secret, AES key, in that order.
    let bytes: [UInt8]

    /// `nil` unless `bytes` has exactly `byteCount` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A key made of `byteCount` bytes from OpenSSL's random generator; `nil` when it fails.
    public static func random() -> TicketKey? {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        guard RAND_bytes(&bytes, Int32(byteCount)) == 1 else { return nil }
        return TicketKey(bytes: bytes)
    }

    /// Whether the 16 bytes at `name` are this key's name.
    func hasName(_ name: UnsafePointer<UInt8>) -> Bool {
        var differ: UInt8 = 0
        for index in 0..<Self.nameLength { differ |= bytes[index] ^ name[index] }
        return differ == 0
    }

    public var description: String { "TicketKey(80 bytes, not shown)" }
}

/// The ticket keys in force, immutable: the first encrypts new tickets, every one decrypts. Empty means
/// tickets cannot be issued nor resumed (every handshake is a full one).
public struct TicketKeySet: Sendable, Equatable, CustomStringConvertible {
    public let keys: [TicketKey]

    public init(_ keys: [TicketKey]) {
        self.keys = keys
    }

    /// The set a periodic rotation of random keys leads to: `key` encrypts from now on, and the key that
    /// encrypted until now still decrypts (the tickets it issued are at most one rotation old). Older
    /// keys are dropped.
    public func rotated(to key: TicketKey) -> TicketKeySet {
        TicketKeySet([key] + keys.prefix(1))
    }

    /// The index of the key named by the 16 bytes at `name`, if any.
    func index(named name: UnsafePointer<UInt8>) -> Int? {
        keys.firstIndex { $0.hasName(name) }
    }

    public var description: String { "TicketKeySet(\(keys.count) keys)" }
}
