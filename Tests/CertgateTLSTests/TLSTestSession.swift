import COpenSSL

/// A client-side TLS session (owns an `SSL_SESSION*`) taken from one handshake to offer in the next.
final class TLSTestSession {
    let raw: OpaquePointer

    init(takingOwnership raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        SSL_SESSION_free(raw)
    }
}
