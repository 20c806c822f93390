internal import COpenSSL
internal import COpenSSLShims
import Synchronization

/// The session ticket keys every handshake of the process reads, replaceable as a whole from the control
/// thread (a reload of `--ticket-keys`, or a rotation of the random keys) while workers read it.
///
/// Shared by every `TLSServerContext` of the process (a configuration reload that builds a new context
/// hands it the same ring), so keys survive a context rebuild. Workers take the current immutable
/// `TicketKeySet` under an uncontended lock, once per ticket issued or presented; nothing here touches
/// a file.
public final class TicketKeyRing: Sendable {
    private let current: Mutex<TicketKeySet>

    public init(_ keys: TicketKeySet) {
        current = Mutex(keys)
    }

    public var keys: TicketKeySet {
        current.withLock { $0 }
    }

    public func publish(_ keys: TicketKeySet) {
        current.withLock { $0 = keys }
    }
}

/// `SSL_CTX_set_tlsext_ticket_key_evp_cb`'s callback, on a worker thread. Encrypting (`enc` 1): the
/// first key of the connection's ring names the ticket and protects it. Decrypting (`enc` 0): the key the
/// ticket names, if the ring still has it; 0 (no key: OpenSSL does a full handshake and issues a new
/// ticket, no error) when it does not, 2 (use it, and issue a new ticket under the current key) when it is
/// not the first or the handshake is TLS 1.3, 1 when it is the first key under TLS 1.2. -1 fails the
/// handshake.
func ticketKeyCallback(
    _ ssl: OpaquePointer?, _ keyName: UnsafeMutablePointer<UInt8>?, _ iv: UnsafeMutablePointer<UInt8>?,
    _ cipher: OpaquePointer?, _ mac: OpaquePointer?, _ enc: Int32
) -> Int32 {
    guard let ssl, let keyName, let iv, let ring = TLSConnection.from(ssl)?.context.ticketKeys else {
        return -1
    }
    let set = ring.keys
    let index: Int
    if enc == 1 {
        // No key at all (a file cannot be empty, but be safe): issue no ticket.
        guard !set.keys.isEmpty else { return 0 }
        index = 0
    } else {
        guard let found = set.index(named: keyName) else { return 0 }
        index = found
    }
    let key = set.keys[index]
    let ok = key.bytes.withUnsafeBufferPointer { bytes -> Int32 in
        guard let base = bytes.baseAddress else { return -1 }
        if enc == 1 { keyName.update(from: base, count: TicketKey.nameLength) }
        return COpenSSLShims_ticket_key_init(
            cipher, mac, base + TicketKey.nameLength, base + TicketKey.nameLength + TicketKey.secretLength, iv, enc)
    }
    guard ok == 1 else { return -1 }
    // 2 also for every TLS 1.3 resumption: OpenSSL 3 then sends the client a fresh ticket, as it does with
    // its own keys (RFC 8446 §C.4: a client should not reuse a ticket); without it a resumed TLS 1.3
    // connection gets none.
    return enc == 1 || (index == 0 && SSL_version(ssl) < TLS1_3_VERSION) ? 1 : 2
}
