internal import COpenSSL
internal import COpenSSLShims
import Glibc

/// The ex_data slot where each `SSL` points back at its `TLSConnection` (process-wide, allocated once).
private let connectionExDataIndex: Int32 = COpenSSLShims_SSL_get_ex_new_index()

/// Server side of one TLS session over a non-blocking socket (owns an `SSL*`).
///
/// OpenSSL does the socket I/O itself (`SSL_set_fd`), so "want read/write" maps directly onto the
/// descriptor's readiness. Every operation follows the error-queue discipline: clear the queue, call,
/// ask `SSL_get_error` at once, drain the queue into the result.
///
/// Loop-confined (not Sendable): created, driven and dropped on one worker thread.
public final class TLSConnection {
    private let ssl: OpaquePointer
    /// Held so the context outlives every connection made from it.
    let context: TLSServerContext
    /// The snapshot this handshake resolves against: the one current when the connection was accepted.
    private let resolver: any CertificateResolver
    /// The certificate chosen in the ClientHello callback (kept alive as long as the connection).
    public private(set) var selectedCertificate: CertifiedKey?
    /// The OCSP response of that certificate, stapled if the client asks (`ocspStatusCallback`).
    private(set) var selectedStaple: OCSPStaple?
    /// Whether the client's SNI name chose that certificate (else it is the default, served for no name
    /// or an unknown one): only then does the ServerHello acknowledge the name.
    private(set) var servedForServerName = false
    /// Why the ClientHello callback refused the handshake, when it did.
    private var rejection: ClientHelloRejection?

    public init(context: TLSServerContext, fd: Int32, resolver: any CertificateResolver) throws(OpenSSLError) {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context.raw) else { throw OpenSSLError.drain() }
        self.ssl = ssl
        self.context = context
        self.resolver = resolver
        guard SSL_set_fd(ssl, fd) == 1 else { throw OpenSSLError.drain() }
        SSL_set_accept_state(ssl)
        SSL_set_ex_data(ssl, connectionExDataIndex, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_set_ex_data(ssl, connectionExDataIndex, nil)
        SSL_free(ssl)
    }

    /// Finds the connection behind an `SSL*` inside an OpenSSL callback.
    static func from(_ ssl: OpaquePointer) -> TLSConnection? {
        guard let data = SSL_get_ex_data(ssl, connectionExDataIndex) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(data).takeUnretainedValue()
    }

    /// Called from the ClientHello callback, before OpenSSL parses extensions and looks for a session to
    /// resume, with the raw server_name extension (`nil` when the client sent none). Checks it
    /// (`ClientHelloServerName`), resolves the name, applies `--strict-sni`, and installs the certificate,
    /// the client-certificate policy of the certificate chosen and the session id context of that policy
    /// and name (`SessionIDContext`). A `client-auth: none` policy sets no verify mode, so no
    /// CertificateRequest is sent. Runs again for a second ClientHello (after a HelloRetryRequest).
    ///
    /// - Returns: `nil` to go on, or why the handshake must fail (its alert goes to the client).
    func handleClientHello(serverNameExtension body: UnsafeBufferPointer<UInt8>?) -> ClientHelloRejection? {
        var name: String?
        if let body {
            switch ClientHelloServerName.parse(body) {
            case .hostName(let sent): name = sent
            case .noHostName: break
            case .malformed: return reject(.malformedServerName)
            case .invalidName: return reject(.invalidServerName)
            }
        }
        serverName = name
        guard var chosen = resolver.selection(forServerName: name) else { return reject(.noCertificate) }
        if context.settings.strictSNI && chosen.match == .fallback { return reject(.unrecognizedName) }
        // ECDSA and RSA certificates for one name: what the client supports decides, ECDSA preferred.
        if chosen.rsaAlternative != nil, case .ecdsa(let group) = chosen.certificate.keyType,
            !clientKeyOffer().choosesECDSA(group: group)
        {
            chosen = chosen.servingRSAAlternative
        }
        let certificate = chosen.certificate
        guard
            SSL_use_cert_and_key(ssl, certificate.leaf.raw, certificate.privateKey.raw, certificate.chainStack, 1) == 1,
            setSessionContext(policy: chosen.sessionContext, serverName: name)
        else { return reject(.internalError) }
        if let trust = chosen.clientTrust {
            guard trust.apply(to: ssl) else { return reject(.internalError) }
        } else {
            SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
        }
        selectedCertificate = certificate
        selectedStaple = chosen.ocspStaple
        clientTrust = chosen.clientTrust
        servedForServerName = chosen.match == .serverName
        rejection = nil
        return nil
    }

    /// Staples `selectedStaple` while it is current (from OpenSSL's status callback, which runs only for
    /// a client that sent status_request). `false`: nothing stapled.
    func stapleOCSPResponse(now: Int64) -> Bool {
        guard let staple = selectedStaple, staple.isCurrent(at: now) else { return false }
        return staple.der.withUnsafeBufferPointer {
            COpenSSLShims_SSL_staple_ocsp_response(ssl, $0.baseAddress, $0.count) == 1
        }
    }

    /// What the ClientHello offers for choosing between an ECDSA and an RSA certificate: its
    /// supported_versions, signature_algorithms and supported_groups extensions and its cipher suites,
    /// read in place (only for names that have both certificates).
    private func clientKeyOffer() -> ClientKeyOffer {
        func extensionBody(_ type: Int32) -> UnsafeBufferPointer<UInt8>? {
            var data: UnsafePointer<UInt8>?
            var length = 0
            guard SSL_client_hello_get0_ext(ssl, UInt32(type), &data, &length) == 1 else { return nil }
            return UnsafeBufferPointer(start: data, count: data == nil ? 0 : length)
        }
        var suites: UnsafePointer<UInt8>?
        let suitesLength = SSL_client_hello_get0_ciphers(ssl, &suites)
        return ClientKeyOffer(
            supportedVersions: extensionBody(TLSEXT_TYPE_supported_versions),
            signatureAlgorithms: extensionBody(TLSEXT_TYPE_signature_algorithms),
            supportedGroups: extensionBody(TLSEXT_TYPE_supported_groups),
            cipherSuites: UnsafeBufferPointer(start: suites, count: suites == nil ? 0 : suitesLength),
            serverSuites: context.cipherAuthentication)
    }

    private func reject(_ why: ClientHelloRejection) -> ClientHelloRejection {
        rejection = why
        return why
    }

    /// `SSL_set_session_id_context` with the context of `policy` and `serverName`, built on the stack.
    private func setSessionContext(policy: [UInt8], serverName: String?) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SessionIDContext.length) { buffer in
            guard let bytes = buffer.baseAddress,
                SessionIDContext.derive(policy: policy, serverName: serverName, into: bytes)
            else { return false }
            return SSL_set_session_id_context(ssl, bytes, UInt32(SessionIDContext.length)) == 1
        }
    }

    /// The client-certificate policy this handshake used, if any (kept alive with the connection).
    public private(set) var clientTrust: ClientTrust?

    /// The client certificate's subject common name, when one was presented.
    public var clientCertificateCommonName: String? {
        guard let peer = SSL_get0_peer_certificate(ssl) else { return nil }
        return Certificate.commonName(of: peer)
    }

    /// The client certificate, when one was presented and verified (after the handshake).
    public var verifiedClientCertificate: Certificate? {
        guard hasVerifiedClientCertificate, let peer = SSL_get1_peer_certificate(ssl) else { return nil }
        // `nil` too when it cannot be read whole (no fingerprint): never a certificate with holes.
        return try? Certificate(takingOwnership: peer)
    }

    /// The protocol ALPN selected (e.g. `h2`, `http/1.1`), or nil when none was.
    public var selectedALPN: [UInt8]? {
        alpnSelected.map(Array.init)
    }

    /// The ALPN selection inside OpenSSL's session (valid while the connection lives), nil when none.
    private var alpnSelected: UnsafeBufferPointer<UInt8>? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return UnsafeBufferPointer(start: data, count: Int(length))
    }

    /// Whether the client presented a certificate at all.
    public var clientCertificatePresented: Bool { SSL_get0_peer_certificate(ssl) != nil }

    /// Whether the client presented a certificate that verified (after the handshake).
    public var hasVerifiedClientCertificate: Bool {
        clientTrust != nil && clientCertificatePresented && SSL_get_verify_result(ssl) == Int(X509_V_OK)
    }

    /// The failure reason of a handshake, refined with the certificate verification result (expired or
    /// revoked client certificates) when a client certificate was involved.
    public func failureReason(_ failure: TLSFailure) -> HandshakeFailureReason {
        if let rejection { return rejection.reason }
        let reason = HandshakeFailureReason(failure)
        guard reason == .clientCertUntrusted else { return reason }
        switch Int32(SSL_get_verify_result(ssl)) {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID: return .clientCertExpired
        case X509_V_ERR_CERT_REVOKED: return .clientCertRevoked
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
            X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_CRL_SIGNATURE_FAILURE,
            X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
            return .clientCRLUnavailable
        case X509_V_ERR_APPLICATION_VERIFICATION: return .clientCertDenied
        default: return reason
        }
    }

    /// Advances the handshake. `.done(0)` once it has completed.
    public func handshake() -> TLSResult {
        OpenSSLError.clearQueue()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .done(0) }
        return classify(rc)
    }

    /// Decrypts into `buffer`: `.done(n)` bytes, `.closed` at close_notify or EOF.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) -> TLSResult {
        OpenSSLError.clearQueue()
        let rc = SSL_read(ssl, buffer, Int32(clamping: count))
        if rc > 0 { return .done(Int(rc)) }
        return classify(rc)
    }

    /// Encrypts and sends from `buffer`: `.done(n)` may be partial. After `.wantRead`/`.wantWrite`, retry
    /// with the same bytes (they may have moved; the context allows that).
    public func write(from buffer: UnsafeRawPointer, count: Int) -> TLSResult {
        OpenSSLError.clearQueue()
        let rc = SSL_write(ssl, buffer, Int32(clamping: count))
        if rc > 0 { return .done(Int(rc)) }
        return classify(rc)
    }

    /// Sends close_notify (our half of the TLS close). `.done(0)` once it is on the wire; the peer may
    /// keep sending afterwards and `read` keeps working.
    public func sendCloseNotify() -> TLSResult {
        OpenSSLError.clearQueue()
        let rc = SSL_shutdown(ssl)
        if rc >= 0 { return .done(0) }
        return classify(rc)
    }

    /// Whether OpenSSL holds bytes read from the socket and not yet returned by `read` (decrypted, or records
    /// read ahead, whole or partial): readiness of the socket will not show them.
    public var hasBufferedData: Bool { SSL_has_pending(ssl) == 1 }

    /// Negotiated protocol, e.g. "TLSv1.3".
    /// Whether the handshake resumed a session (a ticket or a session id) rather than a full one.
    public var sessionReused: Bool { SSL_session_reused(ssl) == 1 }

    public var protocolVersion: String { SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown" }

    /// Negotiated cipher, e.g. "TLS_AES_128_GCM_SHA256".
    public var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "" }
        return SSL_CIPHER_get_name(cipher).map { String(cString: $0) } ?? ""
    }

    /// Whether the negotiated protocol is TLS 1.3 (else 1.2: nothing older is enabled).
    public var isTLS13: Bool { SSL_version(ssl) == TLS1_3_VERSION }

    /// The SNI name the client sent in this handshake (as sent: case and trailing dot kept), if any. Read
    /// in the ClientHello callback; a resumed session has the same name (`SessionIDContext`).
    public private(set) var serverName: String?

    private func classify(_ rc: Int32) -> TLSResult {
        let savedErrno = errno
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            OpenSSLError.clearQueue()
            return .closed
        case SSL_ERROR_SYSCALL:
            let queued = OpenSSLError.drain()
            if !queued.entries.isEmpty { return .failed(.protocolError(queued)) }
            return savedErrno == 0 ? .closed : .failed(.system(savedErrno))
        default:
            return .failed(.protocolError(OpenSSLError.drain()))
        }
    }
}

/// Outcome of one non-blocking TLS operation.
public enum TLSResult: Equatable {
    case done(Int)
    /// Retry the same call when the socket is readable.
    case wantRead
    /// Retry the same call when the socket is writable.
    case wantWrite
    /// The peer ended its side (close_notify, or EOF which the context treats the same way).
    case closed
    case failed(TLSFailure)
}

/// Why a TLS operation failed for good.
public enum TLSFailure: Error, Equatable, CustomStringConvertible {
    /// A socket error (errno), e.g. ECONNRESET.
    case system(Int32)
    /// A TLS protocol failure: bad record, no shared cipher, alert from the peer...
    case protocolError(OpenSSLError)

    public var description: String {
        switch self {
        case .system(let code): return strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        case .protocolError(let error): return error.reason
        }
    }
}
