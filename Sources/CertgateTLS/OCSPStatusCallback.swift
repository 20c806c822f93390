internal import COpenSSL
import Glibc

/// OpenSSL's certificate-status callback (server side): called on the worker thread for a handshake
/// whose client sent status_request, after the ClientHello callback chose the certificate. Staples that
/// certificate's OCSP response from the connection's snapshot when it has a current one; otherwise the
/// handshake goes on without a staple (never a failure: stapling is an optimisation for the client).
func ocspStatusCallback(_ ssl: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let connection = TLSConnection.from(ssl) else { return SSL_TLSEXT_ERR_NOACK }
    return connection.stapleOCSPResponse(now: Int64(time(nil))) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK
}
