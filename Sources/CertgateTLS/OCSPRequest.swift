internal import COpenSSL
internal import COpenSSLShims

/// What certgate sends to fetch a certificate's OCSP response: the responder URL of the leaf's AIA
/// extension and the DER OCSP request for the leaf and its issuer (the first chain certificate).
public struct OCSPRequest: Sendable, Equatable {
    public let url: String
    public let der: [UInt8]

    /// `nil` when the leaf names no OCSP responder, there is no issuer after the leaf, or OpenSSL fails.
    public init?(for key: CertifiedKey) {
        guard let issuer = key.chain.first, let cURL = COpenSSLShims_OCSP_responder_url(key.leaf.raw) else {
            return nil
        }
        let url = String(cString: cURL)
        COpenSSLShims_free(cURL)
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = COpenSSLShims_OCSP_request_der(key.leaf.raw, issuer.raw, &buffer)
        defer { COpenSSLShims_free(buffer) }
        guard length > 0, let buffer else {
            OpenSSLError.clearQueue()
            return nil
        }
        self.url = url
        self.der = Array(UnsafeBufferPointer(start: buffer, count: length))
    }
}
