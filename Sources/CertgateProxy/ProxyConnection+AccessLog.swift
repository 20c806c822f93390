import CertgateIdentity
import CertgateLogging
import CertgateTLS

/// The access log line of a connection (`--access-log`), written at its close.
extension ProxyConnection {
    /// The client's address, for the line (the access log is on).
    func noteClientAddress() {
        access.peer = .peer(of: clientFD)
    }

    /// Hands the connection's line to the worker's access log buffer (nothing when the log is off).
    func writeAccessLine(_ cause: CloseCause) {
        guard let log = worker.accessLog, let format = log.format else { return }
        var record = AccessLogRecord(
            time: .now(), connection: id, bytesFromClient: access.bytesFromClient,
            bytesToClient: access.bytesToClient, duration: worker.loop.now - acceptedAt)
        if let peer = access.peer {
            record.clientAddress = ClientEndpoints.addressText(peer.address)
            record.clientPort = Int(peer.port)
        }
        record.serverName = tls.serverName
        record.certificate = tls.selectedCertificate?.name
        if access.handshakeCompleted {
            record.tlsVersion = tls.protocolVersion
            record.cipher = tls.cipherName
            record.resumed = tls.sessionReused
            record.alpn = tls.selectedALPN.map { String(decoding: $0, as: UTF8.self) }
            if tls.hasVerifiedClientCertificate { record.clientSubject = tls.verifiedClientCertificate?.subject }
        }
        record.upstreamConnect = access.upstreamConnect
        record.closeReason = cause.closeReason.rawValue
        record.closeDetail = closeDetail(cause)
        log.write(record, format: format)
    }

    /// The word after `close=` that says more than the reason: the handshake failure reason, or what
    /// went wrong.
    private func closeDetail(_ cause: CloseCause) -> String? {
        switch cause {
        case .handshakeFailed: return tls.failureReason(failure ?? .system(0)).rawValue
        case .handshakePeerClosed: return "closed_in_handshake"
        case .upstreamUnavailable: return "upstream_unavailable"
        case .refusalTimedOut: return "refusal_timeout"
        case .lingerEnded: return "after_own_response"
        case .clientReadFailed: return "client_read_failed"
        case .clientWriteFailed: return "client_write_failed"
        case .clientClosedWhileSending: return "client_closed_while_sending"
        case .upstreamReadFailed: return "upstream_read_failed"
        case .upstreamWriteFailed: return "upstream_write_failed"
        case .handshakeTimedOut, .idleTimedOut, .finished, .shutdown: return nil
        }
    }
}
