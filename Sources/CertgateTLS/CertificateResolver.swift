/// What one handshake serves: the certificate chosen for the client's SNI name, the client-certificate
/// policy of that certificate (`nil`: no client certificate is asked for) and how the certificate was
/// found.
public struct CertificateSelection {
    /// How the certificate was found; `--strict-sni` refuses `.fallback`.
    public enum Match: Sendable, Equatable {
        /// The client's SNI name is one of the certificate's names (exact or wildcard).
        case serverName
        /// The client sent no name and this is the only certificate: nothing else could be meant.
        case onlyCertificate
        /// The default certificate, served because the client's name matched nothing, or because the
        /// client sent no name while several certificates are loaded.
        case fallback
    }

    /// A second certificate for the same name and its client policy.
    public struct Alternative {
        public let certificate: CertifiedKey
        public let clientTrust: ClientTrust?
        public let ocspStaple: OCSPStaple?

        public init(certificate: CertifiedKey, clientTrust: ClientTrust?, ocspStaple: OCSPStaple? = nil) {
            self.certificate = certificate
            self.clientTrust = clientTrust
            self.ocspStaple = ocspStaple
        }
    }

    public let certificate: CertifiedKey
    public let clientTrust: ClientTrust?
    public let match: Match
    /// When `certificate` is an ECDSA one and the name also has an RSA certificate: that one, which the
    /// connection serves instead to a client that cannot take ECDSA (`ClientKeyOffer`).
    public let rsaAlternative: Alternative?
    /// The checked OCSP response of `certificate`, stapled when the client asks for one.
    public let ocspStaple: OCSPStaple?

    public init(
        certificate: CertifiedKey, clientTrust: ClientTrust?, match: Match, rsaAlternative: Alternative? = nil,
        ocspStaple: OCSPStaple? = nil
    ) {
        self.certificate = certificate
        self.clientTrust = clientTrust
        self.match = match
        self.rsaAlternative = rsaAlternative
        self.ocspStaple = ocspStaple
    }

    /// The same selection serving `rsaAlternative` (itself when there is none).
    public var servingRSAAlternative: CertificateSelection {
        guard let rsaAlternative else { return self }
        return CertificateSelection(
            certificate: rsaAlternative.certificate, clientTrust: rsaAlternative.clientTrust, match: match,
            ocspStaple: rsaAlternative.ocspStaple)
    }

    /// The client-policy part of the session id context: sessions only resume under the same client
    /// policy (the connection adds the server name, see `SessionIDContext`).
    public var sessionContext: [UInt8] { clientTrust?.sessionContext ?? ClientTrust.noClientCertificateSessionContext }
}

/// Chooses the certificate, and with it the client-certificate policy, for one handshake.
///
/// Called on a worker thread from inside OpenSSL's ClientHello callback, once per ClientHello, so it must
/// be fast and must not block. Implemented by the immutable certificate snapshot.
public protocol CertificateResolver: AnyObject, Sendable {
    /// The certificate to present for `serverName` (the SNI value, already checked to be a DNS name;
    /// `nil` when the client sent none) and the client policy of THAT certificate (the policy follows the
    /// certificate chosen, not the raw name). The default certificate when nothing matches (`.fallback`,
    /// which `--strict-sni` then refuses); `nil` only when there is no certificate at all, which fails
    /// the handshake.
    func selection(forServerName serverName: String?) -> CertificateSelection?
}
