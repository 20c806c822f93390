import CertgateHTTP
import CertgateIdentity
import CertgateLogging
import CertgateTLS

/// The access log lines of a connection (`--access-log`): one at its close and, with
/// `--forward-headers`, one per request when its response has ended.
extension ProxyConnection {
    /// The client's address, for the lines (the access log is on).
    func noteClientAddress() {
        access.peer = .peer(of: clientFD)
    }

    /// The connection's line at its close, after the lines of its requests not written yet (nothing
    /// when the log is off).
    func writeAccessLine(_ cause: CloseCause) {
        guard let log = worker.accessLog, let format = log.format else { return }
        if let filter, filter.recordsRequests {
            writeRequestLines()
            for request in filter.unansweredRequests { writeRequestLine(request, log: log, format: format) }
            if let rejection = filter.rejection {
                access.requestsLogged += 1
                var record = baseRecord()
                record.request = .init(
                    number: access.requestsLogged, method: nil, path: nil, status: rejection.status, headBytes: nil)
                log.write(record, format: format)
            }
        }
        var record = baseRecord()
        record.bytesFromClient = access.bytesFromClient
        record.bytesToClient = access.bytesToClient
        record.duration = worker.loop.now - acceptedAt
        record.upstreamConnect = access.upstreamConnect
        record.closeReason = cause.closeReason.rawValue
        record.closeDetail = closeDetail(cause)
        log.write(record, format: format)
    }

    /// A line for each request whose response has ended since the last call (`--forward-headers`).
    func writeRequestLines() {
        guard let log = worker.accessLog, let format = log.format, let filter else { return }
        for request in filter.takeAnsweredRequests() { writeRequestLine(request, log: log, format: format) }
    }

    private func writeRequestLine(_ request: RequestSummary, log: WorkerAccessLog, format: LogOutputFormat) {
        access.requestsLogged += 1
        var record = baseRecord()
        record.request = .init(
            number: access.requestsLogged, method: request.method, path: request.path, status: request.status,
            headBytes: request.headBytes)
        record.duration = worker.loop.now - request.receivedAt
        log.write(record, format: format)
    }

    private func baseRecord() -> AccessLogRecord {
        access.record(connection: id, tls: tls)
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
