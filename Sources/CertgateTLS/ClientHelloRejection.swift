internal import COpenSSL

/// Why the ClientHello callback refused a handshake: the fatal alert it sends and the failure reason
/// counted for it. Recorded on the connection, because OpenSSL only queues "callback failed" for all of
/// them.
enum ClientHelloRejection: Sendable, Equatable {
    /// The server_name extension is not well-formed (`ClientHelloServerName.Parsed.malformed`).
    case malformedServerName
    /// Two host names, or one that is not a DNS name.
    case invalidServerName
    /// `--strict-sni`: no certificate for the name, or no name while several certificates are loaded.
    case unrecognizedName
    /// The resolver had no certificate at all.
    case noCertificate
    /// OpenSSL refused to install the certificate, the session id context or the client policy.
    case internalError

    /// The TLS alert description sent to the client.
    var alert: Int32 {
        switch self {
        case .malformedServerName: return Int32(SSL_AD_DECODE_ERROR)
        case .invalidServerName: return Int32(SSL_AD_ILLEGAL_PARAMETER)
        case .unrecognizedName: return Int32(SSL_AD_UNRECOGNIZED_NAME)
        case .noCertificate, .internalError: return Int32(SSL_AD_INTERNAL_ERROR)
        }
    }

    var reason: HandshakeFailureReason {
        switch self {
        case .malformedServerName, .invalidServerName: return .protocolError
        case .unrecognizedName: return .unrecognizedName
        case .noCertificate, .internalError: return .internal
        }
    }
}
