import CertgateLogging
import CertgateMetrics

/// The access log lines of a terminated HTTP/2 connection (`--access-log`): one per stream when it
/// ends (each stream is a request, as with `--forward-headers` on HTTP/1.1), and one at the close.
extension HTTP2ProxyConnection {
    /// A stream's line: its method, path, the status the client got (none when it ended before a
    /// response), and the time from its HEADERS to its end.
    func writeAccessLine(_ exchange: HTTP2Exchange) {
        guard let log = worker.accessLog, let format = log.format else { return }
        access.requestsLogged += 1
        var record = access.record(connection: id, tls: tls)
        record.request = .init(
            number: access.requestsLogged, method: exchange.request.methodText, path: exchange.request.pathText,
            status: exchange.status, headBytes: nil)
        record.duration = worker.loop.now - exchange.receivedAt
        log.write(record, format: format)
    }

    /// A stream certgate refused before it became a request (malformed or smuggling-shaped headers): a
    /// line without method or path, like an HTTP/1.1 request certgate refused.
    func writeRefusedAccessLine() {
        guard let log = worker.accessLog, let format = log.format else { return }
        access.requestsLogged += 1
        var record = access.record(connection: id, tls: tls)
        record.request = .init(number: access.requestsLogged, method: nil, path: nil, status: nil, headBytes: nil)
        log.write(record, format: format)
    }

    /// The connection's line at its close, after the lines of its streams.
    func writeAccessLine(closing reason: ConnectionCloseReason) {
        guard let log = worker.accessLog, let format = log.format else { return }
        var record = access.record(connection: id, tls: tls)
        record.bytesFromClient = access.bytesFromClient
        record.bytesToClient = access.bytesToClient
        record.duration = worker.loop.now - acceptedAt
        record.closeReason = reason.rawValue
        log.write(record, format: format)
    }
}
