import COpenSSL
import COpenSSLShims

/// A real OpenSSL client (its own `SSL_CTX` and `SSL`) over one end of a socket pair, driven one
/// non-blocking step at a time by `TLSPair` against the server's `TLSConnection` on the other end.
///
/// It does not verify the server (unless `verifyServer`): the tests look at which certificate was served,
/// not whether it chains. Test-only and single-threaded: each test owns its clients.
final class TLSTestClient {
    struct Options {
        /// The SNI name to send; `nil` sends none.
        var serverName: String?
        /// `TLS1_2_VERSION` to offer nothing newer than TLS 1.2.
        var maximumVersion: Int32 = TLS1_3_VERSION
        /// TLS 1.2 cipher list / TLS 1.3 ciphersuites; `nil`: OpenSSL's defaults.
        var ciphers: String?
        var ciphersuites: String?
        /// The signature_algorithms list, OpenSSL syntax ("RSA-PSS+SHA256:ECDSA+SHA256"); `nil`: defaults.
        var sigalgs: String?
        /// The client certificate presented when the server asks for one.
        var identity: TLSFixture.ClientIdentity?
        /// A session to offer for resumption.
        var session: TLSTestSession?
        /// Refuse session tickets (TLS 1.2 then resumes by session id from the server's cache).
        var noTicket = false
        /// ALPN protocols offered.
        var alpn: [String] = []
        /// Verify the server's certificate against an empty trust store: the client refuses it with an
        /// alert (`unknown_ca`).
        var verifyServer = false
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Where the client's handshake stands.
    enum Step: Equatable {
        case pending
        case done
        /// OpenSSL's first queued reason, e.g. "sslv3 alert handshake failure".
        case failed(String)
    }

    private let context: OpaquePointer
    private let ssl: OpaquePointer

    init(fd: Int32, _ options: Options = Options()) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Self.failure("SSL_CTX_new") }
        self.context = context
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw Self.failure("SSL_new")
        }
        self.ssl = ssl
        // From here on deinit frees both.
        // SSL_set_max_proto_version is a macro over SSL_ctrl.
        guard SSL_ctrl(ssl, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(options.maximumVersion), nil) == 1 else {
            throw Self.failure("max protocol version")
        }
        if let ciphers = options.ciphers, SSL_set_cipher_list(ssl, ciphers) != 1 {
            throw Self.failure("cipher list \(ciphers)")
        }
        if let suites = options.ciphersuites, SSL_set_ciphersuites(ssl, suites) != 1 {
            throw Self.failure("ciphersuites \(suites)")
        }
        if let sigalgs = options.sigalgs {
            // SSL_set1_sigalgs_list is a macro over SSL_ctrl.
            let set = sigalgs.withCString {
                SSL_ctrl(ssl, SSL_CTRL_SET_SIGALGS_LIST, 0, UnsafeMutableRawPointer(mutating: $0))
            }
            guard set == 1 else { throw Self.failure("sigalgs \(sigalgs)") }
        }
        SSL_set_verify(ssl, options.verifyServer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if options.noTicket { SSL_set_options(ssl, COpenSSLShims_SSL_OP_NO_TICKET) }
        if let name = options.serverName {
            // SSL_set_tlsext_host_name is a macro over SSL_ctrl; OpenSSL copies the name.
            let set = name.withCString {
                SSL_ctrl(
                    ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name),
                    UnsafeMutableRawPointer(mutating: $0))
            }
            guard set == 1 else { throw Self.failure("SNI \(name)") }
        }
        if !options.alpn.isEmpty {
            let wire = options.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            guard SSL_set_alpn_protos(ssl, wire, UInt32(wire.count)) == 0 else { throw Self.failure("ALPN") }
        }
        if let identity = options.identity { try use(identity) }
        if let session = options.session, SSL_set_session(ssl, session.raw) != 1 {
            throw Self.failure("SSL_set_session")
        }
        guard SSL_set_fd(ssl, fd) == 1 else { throw Self.failure("SSL_set_fd") }
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Advances the handshake by whatever the socket allows.
    func handshakeStep() -> Step {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .done }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .pending
        default:
            return .failed(Self.drainReason())
        }
    }

    /// Reads what the server sent since the handshake: application data, and the TLS 1.3 session
    /// tickets that make `session` resumable. Empty when nothing was there (or at close_notify).
    func readAvailable() -> [UInt8] {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            ERR_clear_error()
            let n = SSL_read(ssl, &buffer, Int32(buffer.count))
            guard n > 0 else {
                ERR_clear_error()
                return collected
            }
            collected += buffer[..<Int(n)]
        }
    }

    /// Whether the server's close_notify has been read.
    var receivedCloseNotify: Bool {
        SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN != 0
    }

    /// Writes all of `bytes` (they fit in the socket buffer in these tests).
    func write(_ bytes: [UInt8]) -> Bool {
        ERR_clear_error()
        return SSL_write(ssl, bytes, Int32(bytes.count)) == Int32(bytes.count)
    }

    /// Sends close_notify.
    func sendCloseNotify() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The session to offer in a later handshake, once it is resumable (after `readAvailable()` for a
    /// TLS 1.3 ticket); `nil` when there is none.
    func resumableSession() -> TLSTestSession? {
        guard let raw = SSL_get1_session(ssl) else { return nil }
        let session = TLSTestSession(takingOwnership: raw)
        return SSL_SESSION_is_resumable(raw) == 1 ? session : nil
    }

    /// Whether this handshake resumed the offered session.
    var sessionReused: Bool { SSL_session_reused(ssl) == 1 }

    /// "TLSv1.2" or "TLSv1.3".
    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The commonName and DNS subjectAltNames of the certificate the server presented.
    var peerCertificateNames: (commonName: String?, dnsNames: [String])? {
        guard let peer = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(peer) }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = COpenSSLShims_X509_common_name(peer, &buffer, Int32(buffer.count))
        let commonName =
            length >= 0
            ? String(
                decoding: buffer[..<Int(length)].map { UInt8(bitPattern: $0) },
                as: UTF8.self) : nil
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = COpenSSLShims_X509_dns_names(peer, &names)
        defer { COpenSSLShims_free_strings(names, count) }
        let dnsNames = (0..<Int(max(count, 0))).compactMap { names?[$0].map { String(cString: $0) } }
        return (commonName, dnsNames)
    }

    /// The CA names of the server's CertificateRequest, one-line form ("/CN=Test CA"); empty when the
    /// server asked for no client certificate.
    var requestedCANames: [String] {
        // On a client, SSL_get_client_CA_list returns the names the server sent.
        guard let names = SSL_get_client_CA_list(ssl) else { return [] }
        return (0..<OPENSSL_sk_num(names)).compactMap { index in
            guard let name = OPENSSL_sk_value(names, index),
                let line = X509_NAME_oneline(OpaquePointer(name), nil, 0)
            else { return nil }
            defer { COpenSSLShims_OPENSSL_free(line) }
            return String(cString: line)
        }
    }

    private func use(_ identity: TLSFixture.ClientIdentity) throws {
        guard let certificate = Self.readPEM(identity.certificatePEM, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw Self.failure("client certificate PEM")
        }
        defer { X509_free(certificate) }
        guard let key = Self.readPEM(identity.keyPEM, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw Self.failure("client key PEM")
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_use_certificate(ssl, certificate) == 1, SSL_use_PrivateKey(ssl, key) == 1 else {
            throw Self.failure("client certificate and key")
        }
    }

    /// The first object `read` takes from a memory BIO over `pem`.
    private static func readPEM(_ pem: [UInt8], _ read: (OpaquePointer?) -> OpaquePointer?) -> OpaquePointer? {
        pem.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            return read(bio)
        }
    }

    private static func drainReason() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0, let text = ERR_reason_error_string(code) else { return "no OpenSSL error queued" }
        return String(cString: text)
    }

    private static func failure(_ step: String) -> Failure {
        Failure(description: "test client: \(step) failed: \(drainReason())")
    }
}
