/// What one handshake serves: the certificate chosen for the client's SNI name and the client-certificate
/// policy of that certificate (`nil`: no client certificate is asked for).
public struct CertificateSelection {
    public let certificate: CertifiedKey
    public let clientTrust: ClientTrust?

    public init(certificate: CertifiedKey, clientTrust: ClientTrust?) {
        self.certificate = certificate
        self.clientTrust = clientTrust
    }

    /// The session id context of this selection: sessions only resume under the same client policy.
    public var sessionContext: [UInt8] { clientTrust?.sessionContext ?? ClientTrust.noClientCertificateSessionContext }
}

/// Chooses the certificate, and with it the client-certificate policy, for one handshake.
///
/// Called on a worker thread from inside OpenSSL's ClientHello callback, once per ClientHello, so it must
/// be fast and must not block. Implemented by the immutable certificate snapshot.
public protocol CertificateResolver: AnyObject, Sendable {
    /// The certificate to present for `serverName` (the raw SNI value, `nil` when the client sent none)
    /// and the client policy of THAT certificate (the policy follows the certificate chosen, not the raw
    /// name). The default certificate when nothing matches; `nil` only when there is no certificate at
    /// all, which fails the handshake.
    func selection(forServerName serverName: String?) -> CertificateSelection?
}
