internal import COpenSSL

/// Why a TLS handshake failed, as a small fixed set: the `reason` label of
/// `certgate_tls_handshakes_total{result="failure"}`. Never derived from anything the client controls
/// beyond which of these cases applies, so the label set stays bounded.
public enum HandshakeFailureReason: String, CaseIterable, Sendable {
    /// The client did not finish within `--handshake-timeout`.
    case timeout
    /// The client closed or reset the connection before the handshake finished (port scanners, load
    /// balancer health checks, clients that gave up).
    case peerClosed = "peer_closed"
    /// What arrived is not TLS at all (plain HTTP to the TLS port, garbage).
    case notTLS = "not_tls"
    /// No protocol version in common (e.g. a TLS 1.0 client).
    case noSharedProtocol = "no_shared_protocol"
    /// No cipher suite in common.
    case noSharedCipher = "no_shared_cipher"
    /// The client aborted the handshake with an alert (often: it does not trust our certificate).
    case peerAlert = "peer_alert"
    /// A client certificate was required and none was sent.
    case clientCertMissing = "client_cert_missing"
    /// The client certificate did not verify.
    case clientCertUntrusted = "client_cert_untrusted"
    /// The client certificate is expired or not yet valid.
    case clientCertExpired = "client_cert_expired"
    /// The client certificate is revoked (`--client-crl`).
    case clientCertRevoked = "client_cert_revoked"
    /// Revocation could not be checked: no CRL for the client certificate's issuer in `--client-crl`, or
    /// that CRL is expired or not yet valid (strict policy: the client is refused).
    case clientCRLUnavailable = "client_crl_unavailable"
    /// The client certificate verified but is not on the allow-lists.
    case clientCertDenied = "client_cert_denied"
    /// `--strict-sni` refused the client's name: no certificate has it, or the client sent none while
    /// several certificates are loaded.
    case unrecognizedName = "unrecognized_name"
    /// Any other TLS protocol violation by the client (a malformed server_name extension included).
    case protocolError = "protocol_error"
    /// A failure on our side (out of memory, no certificate to present).
    case `internal`

    /// Classifies a failed handshake step.
    public init(_ failure: TLSFailure) {
        switch failure {
        case .system:
            self = .peerClosed
        case .protocolError(let error):
            self = Self.classify(reasonCode: error.reasonCode, library: error.library)
        }
    }

    static func classify(reasonCode: Int32, library: Int32) -> HandshakeFailureReason {
        guard library == ERR_LIB_SSL else { return .internal }
        if reasonCode >= SSL_AD_REASON_OFFSET { return .peerAlert }
        switch reasonCode {
        case SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST, SSL_R_WRONG_VERSION_NUMBER, SSL_R_PACKET_LENGTH_TOO_LONG,
            SSL_R_RECORD_LENGTH_MISMATCH, SSL_R_LENGTH_TOO_SHORT, SSL_R_UNEXPECTED_RECORD, SSL_R_UNEXPECTED_MESSAGE,
            SSL_R_LENGTH_MISMATCH, SSL_R_BAD_PACKET_LENGTH:
            return .notTLS
        case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_NO_PROTOCOLS_AVAILABLE, SSL_R_VERSION_TOO_LOW, SSL_R_VERSION_TOO_HIGH:
            return .noSharedProtocol
        case SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM,
            SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
            return .noSharedCipher
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
            return .clientCertMissing
        case SSL_R_CERTIFICATE_VERIFY_FAILED:
            return .clientCertUntrusted
        case SSL_R_CALLBACK_FAILED, SSL_R_NO_CERTIFICATE_ASSIGNED, SSL_R_NO_CERTIFICATE_SET:
            return .internal
        default:
            return .protocolError
        }
    }
}
