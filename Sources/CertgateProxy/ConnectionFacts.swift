import CertgateIdentity
import CertgateLogging
import CertgateTLS

/// What a connection notes for its access log line, beyond what its TLS session knows.
struct ConnectionFacts {
    /// The client's address, looked up at the start (a reset connection no longer has one at its close);
    /// only when the access log is on.
    var peer: ProxiedEndpoint?
    /// Plaintext read from the client, and written to it.
    var bytesFromClient = 0
    var bytesToClient = 0
    /// Seconds the upstream connect took, once it succeeded.
    var upstreamConnect: Double?
    var handshakeCompleted = false
    /// `--forward-headers`: request lines written so far (the next one's number is one more).
    var requestsLogged = 0
    /// The verified client certificate's subject, read once for all the lines of the connection.
    var clientSubject: String?
}

extension ConnectionFacts {
    /// What every access log line of a connection says: who, and the TLS session (`ProxyConnection` and
    /// `HTTP2ProxyConnection` alike).
    mutating func record(connection id: UInt64, tls: TLSConnection) -> AccessLogRecord {
        var record = AccessLogRecord(time: .now(), connection: id)
        if let peer {
            record.clientAddress = ClientEndpoints.addressText(peer.address)
            record.clientPort = Int(peer.port)
        }
        record.serverName = tls.serverName
        record.certificate = tls.selectedCertificate?.name
        if handshakeCompleted {
            record.tlsVersion = tls.protocolVersion
            record.cipher = tls.cipherName
            record.resumed = tls.sessionReused
            record.alpn = tls.selectedALPN.map { String(decoding: $0, as: UTF8.self) }
            if tls.hasVerifiedClientCertificate {
                if clientSubject == nil { clientSubject = tls.verifiedClientCertificate?.subject }
                record.clientSubject = clientSubject
            }
        }
        return record
    }
}
