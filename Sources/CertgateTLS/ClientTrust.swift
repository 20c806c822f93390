internal import COpenSSL
internal import COpenSSLShims

/// How a handshake treats client certificates.
public enum ClientVerification: Sendable, Equatable {
    /// Ask for one; a client without one is let in, one that does not verify is refused.
    case optional
    /// A verified client certificate is required.
    case require
}

/// An immutable client-certificate trust policy: the trusted CAs (one `X509_STORE`, e.g. the union of
/// the retained root-pool generations), the CA names sent in the CertificateRequest, the mode and the
/// chain depth. Replaced as a whole when the CAs change; connections keep the one they started with.
///
/// `@unchecked Sendable`: built once, then only read; OpenSSL stores are reference counted and safe to
/// share for verification.
public final class ClientTrust: @unchecked Sendable {
    let store: OpaquePointer
    private let names: OpaquePointer
    public let verification: ClientVerification
    public let depth: Int
    /// The CAs, kept alive with the store (which holds its own references anyway).
    public let roots: [Certificate]
    /// Which verified certificates are let in.
    public let allowList: ClientAllowList
    /// The CRLs (`--client-crl`) in the store; empty when revocation is not checked.
    public let revocationLists: [RevocationList]
    /// The TLS session id context of handshakes under this trust (32 bytes, a digest of the policy's
    /// identity, the trusted CAs and the CRLs): OpenSSL only resumes a session (1.2 session id or ticket,
    /// 1.3 PSK) whose context matches, so a session established under one policy gets a full handshake
    /// under another, and a session established before the CAs or CRLs changed (a CA evicted, a client
    /// revoked) is not resumed either: the client is verified again.
    public let sessionContext: [UInt8]

    /// The session id context of handshakes that ask for no client certificate.
    public static let noClientCertificateSessionContext =
        ContentDigest(parts: [Array("certgate-client-policy".utf8), Array("none".utf8)]).bytes

    /// The session id context for a policy identity and the trust material in force (see
    /// `sessionContext`); the order of `roots` and `revocationLists` does not matter.
    public static func sessionContext(identity: String, roots: [Certificate], revocationLists: [RevocationList])
        -> [UInt8]
    {
        let material =
            (roots.map(\.sha256Fingerprint).sorted { $0.lexicographicallyPrecedes($1) }
                + [Array("crls".utf8)]
                + revocationLists.map(\.sha256Fingerprint).sorted { $0.lexicographicallyPrecedes($1) })
        return ContentDigest(parts: [Array("certgate-client-policy".utf8), Array(identity.utf8)] + material).bytes
    }

    /// - Parameter revocationLists: when not empty, the leaf's revocation status is checked
    ///   (`X509_V_FLAG_CRL_CHECK`): a revoked leaf, and a leaf whose issuer has no valid CRL here (none,
    ///   expired, not yet valid), fail verification.
    /// - Parameter identity: what distinguishes this policy from the others a process serves (mode, CA
    ///   and CRL files, depth, allow-lists); hashed into `sessionContext`.
    public init(
        roots: [Certificate], verification: ClientVerification, depth: Int,
        allowList: ClientAllowList = ClientAllowList(),
        revocationLists: [RevocationList] = [], identity: String = ""
    ) throws(OpenSSLError) {
        OpenSSLError.clearQueue()
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain() }
        for root in roots where X509_STORE_add_cert(store, root.raw) != 1 {
            // A duplicate certificate is not an error worth failing for; anything else is.
            let error = OpenSSLError.drain()
            if !Self.isDuplicate(error) {
                X509_STORE_free(store)
                throw error
            }
        }
        for list in revocationLists where X509_STORE_add_crl(store, list.raw) != 1 {
            let error = OpenSSLError.drain()
            if !Self.isDuplicate(error) {
                X509_STORE_free(store)
                throw error
            }
        }
        if !revocationLists.isEmpty && X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK)) != 1 {
            X509_STORE_free(store)
            throw OpenSSLError.drain()
        }
        var raws: [OpaquePointer?] = roots.map { $0.raw }
        guard
            let names = raws.withUnsafeMutableBufferPointer({
                COpenSSLShims_CA_names($0.baseAddress, Int32(roots.count))
            })
        else {
            X509_STORE_free(store)
            throw OpenSSLError.drain()
        }
        self.store = store
        self.names = names
        self.verification = verification
        self.depth = depth
        self.roots = roots
        self.allowList = allowList
        self.revocationLists = revocationLists
        self.sessionContext = Self.sessionContext(identity: identity, roots: roots, revocationLists: revocationLists)
    }

    deinit {
        COpenSSLShims_CA_names_free(names)
        X509_STORE_free(store)
    }

    /// Whether an `X509_STORE_add_cert`/`_add_crl` failure only says the object is in the store already
    /// (OpenSSL uses the one reason for certificates and CRLs).
    static func isDuplicate(_ error: OpenSSLError) -> Bool {
        error.is(library: ERR_LIB_X509, reason: X509_R_CERT_ALREADY_IN_HASH_TABLE)
    }

    /// Makes `ssl` ask for (or require) a client certificate verified against this trust.
    func apply(to ssl: OpaquePointer) -> Bool {
        let mode =
            verification == .require
            ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE
            : SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE
        SSL_set_verify(ssl, mode, allowList.isEmpty ? nil : clientVerifyCallback)
        SSL_set_verify_depth(ssl, Int32(depth))
        guard COpenSSLShims_SSL_set1_verify_cert_store(ssl, store) == 1,
            let list = SSL_dup_CA_list(names)
        else { return false }
        SSL_set_client_CA_list(ssl, list)
        return true
    }
}

/// After OpenSSL has verified the client's chain, checks the leaf against the allow-lists; a refusal
/// fails the handshake with `X509_V_ERR_APPLICATION_VERIFICATION` (counted as `client_cert_denied`).
///
/// Fails closed: when the connection, its policy or the leaf cannot be found from the store context, the
/// allow-lists cannot be checked, so the certificate is refused rather than let through on OpenSSL's
/// verdict alone.
func clientVerifyCallback(_ preverified: Int32, _ context: OpaquePointer?) -> Int32 {
    guard let context else { return 0 }
    // OpenSSL's own verdict stands for a chain that does not verify; only the leaf has names to check.
    guard preverified == 1 else { return 0 }
    guard X509_STORE_CTX_get_error_depth(context) == 0 else { return 1 }
    guard let sslPointer = X509_STORE_CTX_get_ex_data(context, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let connection = TLSConnection.from(OpaquePointer(sslPointer)),
        let trust = connection.clientTrust,
        let leaf = X509_STORE_CTX_get_current_cert(context)
    else {
        X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION)
        return 0
    }
    if trust.allowList.permits(
        commonName: Certificate.commonName(of: leaf),
        dnsNames: Certificate.sanNames(of: leaf, type: GEN_DNS),
        uris: Certificate.sanNames(of: leaf, type: GEN_URI))
    {
        return 1
    }
    X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION)
    return 0
}
