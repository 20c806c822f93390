/// Chooses the certificate for one handshake from the client's SNI name.
///
/// Called on a worker thread from inside OpenSSL's servername callback, once per handshake, so it must
/// be fast and must not block. Implemented by the immutable certificate snapshot.
public protocol CertificateResolver: AnyObject, Sendable {
    /// The certificate to present for `serverName` (the raw SNI value, `nil` when the client sent none).
    /// Returns the default certificate when nothing matches; `nil` only when there is no certificate at
    /// all, which fails the handshake.
    func certificate(forServerName serverName: String?) -> CertifiedKey?

    /// The client-certificate policy for this handshake (after SNI); `nil`: no client certificate asked.
    func clientTrust(forServerName serverName: String?) -> ClientTrust?
}

extension CertificateResolver {
    public func clientTrust(forServerName serverName: String?) -> ClientTrust? { nil }
}
