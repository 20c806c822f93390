internal import COpenSSL
internal import COpenSSLShims

/// The one server-side `SSL_CTX` every connection of the process is created from.
///
/// It carries protocol policy (versions, ciphers, options) but no certificate: each handshake picks its
/// certificate in the ClientHello callback from the snapshot its connection holds (`TLSConnection`), with
/// `SSL_use_cert_and_key`. One context instead of one per certificate keeps memory per certificate to the
/// certificate itself and start-up with 10,000 names fast (an OpenSSL 3 `SSL_CTX` costs hundreds of KiB).
///
/// `@unchecked Sendable`: fully configured in `init` and never mutated afterwards; OpenSSL allows
/// `SSL_new` on one context from many threads.
public final class TLSServerContext: @unchecked Sendable {
    let raw: OpaquePointer
    public let settings: TLSSettings
    /// The session ticket keys (`nil`: tickets are off, or OpenSSL's own per-context key is used).
    public let ticketKeys: TicketKeyRing?
    /// The ALPN list the select callback reads (length-prefixed wire format); lives as long as `raw`.
    private let alpnList: UnsafeMutablePointer<UInt8>?
    /// The TLS 1.2 suites of `settings.ciphers` by authentication: what `ClientKeyOffer` checks a client's
    /// suites against when a name has an ECDSA and an RSA certificate. Set in `init`, read-only after.
    private(set) var cipherAuthentication = CipherSuiteAuthentication()

    /// - Parameter ticketKeys: the keys that protect session tickets, shared by every context of the
    ///   process; ignored when `settings.tickets` is off.
    public init(settings: TLSSettings, ticketKeys: TicketKeyRing? = nil) throws(TLSConfigurationError) {
        OpenSSLError.clearQueue()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw .openSSL("SSL_CTX_new", OpenSSLError.drain())
        }
        // From here on `deinit` frees the context on every failure path.
        self.raw = ctx
        self.settings = settings
        self.ticketKeys = settings.tickets ? ticketKeys : nil
        let wire = settings.alpnWireFormat
        if wire.isEmpty {
            alpnList = nil
        } else {
            let list = UnsafeMutablePointer<UInt8>.allocate(capacity: wire.count + 2)
            list[0] = UInt8(truncatingIfNeeded: wire.count >> 8)
            list[1] = UInt8(truncatingIfNeeded: wire.count)
            (list + 2).initialize(from: wire, count: wire.count)
            alpnList = list
            COpenSSLShims_SSL_CTX_set_alpn_protocols(ctx, list)
        }

        let minimum = settings.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard COpenSSLShims_SSL_CTX_set_min_proto_version(ctx, minimum) == 1,
            COpenSSLShims_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1
        else {
            throw .openSSL("setting protocol versions", OpenSSLError.drain())
        }
        SSL_CTX_set_options(
            ctx,
            COpenSSLShims_SSL_OP_NO_COMPRESSION | COpenSSLShims_SSL_OP_NO_RENEGOTIATION
                | COpenSSLShims_SSL_OP_CIPHER_SERVER_PREFERENCE
                // A peer that closes TCP without close_notify is an ordinary end of stream for a proxy
                // (HTTP clients do it all the time); the upstream then sees a FIN, never a truncation
                // that HTTP framing would not catch anyway.
                | COpenSSLShims_SSL_OP_IGNORE_UNEXPECTED_EOF
        )
        // Partial writes and moving buffers let the proxy retry a blocked SSL_write from its pending
        // buffer; released buffers keep idle connections small.
        _ = COpenSSLShims_SSL_CTX_set_mode(
            ctx,
            COpenSSLShims_SSL_MODE_ENABLE_PARTIAL_WRITE | COpenSSLShims_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                | COpenSSLShims_SSL_MODE_RELEASE_BUFFERS
        )
        // Read-ahead: one read(2) takes a record's header and body together (and whatever follows it, up
        // to the default read buffer, which holds a full 16 KiB record), instead of one read for each.
        // What it takes beyond the record stays buffered: `TLSConnection.hasBufferedData` tells the
        // proxy to go on reading, since the socket's readiness no longer shows it.
        COpenSSLShims_SSL_CTX_set_read_ahead(ctx, 1)
        let ciphers = settings.ciphers ?? TLSSettings.defaultCiphers
        guard SSL_CTX_set_cipher_list(ctx, ciphers) == 1 else {
            throw .invalidCiphers(ciphers, OpenSSLError.drain())
        }
        cipherAuthentication = Self.authentication(of: ctx)
        let suites = settings.ciphersuites ?? TLSSettings.defaultCiphersuites
        guard SSL_CTX_set_ciphersuites(ctx, suites) == 1 else {
            throw .invalidCiphersuites(suites, OpenSSLError.drain())
        }
        let groups = settings.groups ?? TLSSettings.defaultGroups
        guard COpenSSLShims_SSL_CTX_set1_groups_list(ctx, groups) == 1 else {
            let error = OpenSSLError.drain()
            // OpenSSL only says the list failed; trying each name alone finds the one it does not know.
            let unknown = groups.split(separator: ":").map(String.init).first {
                COpenSSLShims_SSL_CTX_set1_groups_list(ctx, $0) != 1
            }
            OpenSSLError.clearQueue()
            throw .invalidGroups(groups, unknown: unknown, error)
        }
        // Each handshake sets its own session id context (its client policy's and server name's) in the
        // ClientHello callback; this one only covers a handshake that somehow skipped it.
        let sessionContext = ClientTrust.noClientCertificateSessionContext
        guard SSL_CTX_set_session_id_context(ctx, sessionContext, UInt32(sessionContext.count)) == 1 else {
            throw .openSSL("setting the session id context", OpenSSLError.drain())
        }
        SSL_CTX_set_timeout(ctx, Int(max(1, settings.ticketLifetime.components.seconds)))
        if !settings.tickets {
            SSL_CTX_set_options(ctx, COpenSSLShims_SSL_OP_NO_TICKET)
        } else if self.ticketKeys != nil {
            guard COpenSSLShims_SSL_CTX_set_ticket_key_cb(ctx, ticketKeyCallback) == 1 else {
                throw .openSSL("setting the session ticket key callback", OpenSSLError.drain())
            }
        }
        SSL_CTX_set_client_hello_cb(ctx, clientHelloCallback, nil)
        COpenSSLShims_SSL_CTX_set_tlsext_servername_callback(ctx, servernameCallback)
        COpenSSLShims_SSL_CTX_set_tlsext_status_cb(ctx, ocspStatusCallback)
        OpenSSLError.clearQueue()
    }

    deinit {
        SSL_CTX_free(raw)
        alpnList?.deallocate()
    }

    /// The context's TLS 1.2 suites (TLS 1.3 ones authenticate with any key type) by the key type that
    /// authenticates them.
    private static func authentication(of ctx: OpaquePointer) -> CipherSuiteAuthentication {
        var table = CipherSuiteAuthentication()
        guard let list = SSL_CTX_get_ciphers(ctx) else { return table }
        for index in 0..<OPENSSL_sk_num(list) {
            guard let raw = OPENSSL_sk_value(list, index) else { continue }
            let cipher = OpaquePointer(raw)
            let code = UInt16(truncatingIfNeeded: SSL_CIPHER_get_protocol_id(cipher))
            switch SSL_CIPHER_get_auth_nid(cipher) {
            case NID_auth_ecdsa: table.ecdsa.insert(code)
            case NID_auth_rsa: table.rsa.insert(code)
            default: break
            }
        }
        return table
    }

    /// "OpenSSL 3.0.19 ..." of the linked library.
    public static var libraryVersion: String {
        OpenSSL_version(OPENSSL_VERSION).map { String(cString: $0) } ?? "OpenSSL (version unknown)"
    }
}

/// A TLS policy OpenSSL refused.
public enum TLSConfigurationError: Error, CustomStringConvertible {
    case invalidCiphers(String, OpenSSLError)
    case invalidCiphersuites(String, OpenSSLError)
    /// The group list, and the first name in it OpenSSL does not know (when one alone fails).
    case invalidGroups(String, unknown: String?, OpenSSLError)
    case openSSL(String, OpenSSLError)

    public var description: String {
        switch self {
        case .invalidCiphers(let list, _):
            return "--ciphers: OpenSSL accepts no TLS 1.2 cipher from '\(list)'"
        case .invalidCiphersuites(let list, _):
            return "--ciphersuites: OpenSSL rejects TLS 1.3 ciphersuites '\(list)'"
        case .invalidGroups(let list, let unknown?, _):
            return "--groups: OpenSSL does not know the key-exchange group '\(unknown)' in '\(list)' "
                + "(e.g. X25519:P-256:P-384)"
        case .invalidGroups(let list, nil, _):
            return "--groups: OpenSSL rejects the key-exchange groups '\(list)' (e.g. X25519:P-256:P-384)"
        case .openSSL(let step, let error):
            return "OpenSSL: \(step) failed: \(error)"
        }
    }
}

/// OpenSSL's ClientHello callback: runs on the worker thread for each ClientHello, before extensions are
/// parsed and before a session is looked up for resumption. Hands the raw server_name extension to the
/// connection, which checks it and chooses the certificate and its client policy (session id context
/// included, so the resumption decision that follows already sees the right one). A refusal is a fatal
/// alert of the connection's choosing; OpenSSL sends it before any ServerHello.
private func clientHelloCallback(
    _ ssl: OpaquePointer?,
    _ alert: UnsafeMutablePointer<Int32>?,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ssl, let connection = TLSConnection.from(ssl) else {
        alert?.pointee = Int32(SSL_AD_INTERNAL_ERROR)
        return SSL_CLIENT_HELLO_ERROR
    }
    var data: UnsafePointer<UInt8>?
    var length = 0
    var body: UnsafeBufferPointer<UInt8>?
    if SSL_client_hello_get0_ext(ssl, UInt32(TLSEXT_TYPE_server_name), &data, &length) == 1 {
        // An empty extension may come with no pointer at all: still present, and malformed.
        body = data.map { UnsafeBufferPointer(start: $0, count: length) } ?? UnsafeBufferPointer(start: nil, count: 0)
    }
    if let rejection = connection.handleClientHello(serverNameExtension: body) {
        alert?.pointee = rejection.alert
        return SSL_CLIENT_HELLO_ERROR
    }
    return SSL_CLIENT_HELLO_SUCCESS
}

/// OpenSSL's servername callback: the choice was made in the ClientHello callback; this one only decides
/// whether the ServerHello acknowledges the client's name: yes when the name chose the certificate, no
/// when the default certificate is served for an unknown name (RFC 6066 §3). Never the warning-level
/// unrecognized_name alert, which RFC 6066 calls NOT RECOMMENDED; `--strict-sni` refused such names
/// already, with a fatal one.
private func servernameCallback(
    _ ssl: OpaquePointer?,
    _ alert: UnsafeMutablePointer<Int32>?,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ssl, let connection = TLSConnection.from(ssl), connection.selectedCertificate != nil else {
        alert?.pointee = Int32(SSL_AD_INTERNAL_ERROR)
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    return connection.servedForServerName ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK
}
