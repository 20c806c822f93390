import CertgatePosix
import CertgateTLS
import Logging

/// The metrics and log lines of a connection: what its reports and its close say.
extension ProxyConnection {
    func report(_ report: ConnectionReport) {
        let metrics = worker.metrics
        switch report {
        case .handshakeSucceeded:
            metrics.handshakeSuccesses.increment()
            access.handshakeCompleted = true
            if tls.sessionReused { metrics.tickets.resumptions.increment() }
            (tls.isTLS13 ? metrics.tls13Connections : metrics.tls12Connections).increment()
            metrics.handshakeDuration.record(worker.loop.now - acceptedAt)
        case .upstreamConnected:
            access.upstreamConnect = worker.loop.now - connectStartedAt
            metrics.upstreamConnectDuration.record(access.upstreamConnect!)
        case .upstreamConnectFailed(let code):
            metrics.upstreamConnectFailures(reason: ConnectionReport.connectFailureReason(code)).increment()
            worker.logger.warning(
                "upstream connect failed",
                metadata: [
                    "conn": "\(id)", "upstream": "\(upstreamAddress)", "error": "\(SystemError.message(for: code))",
                ])
        case .upstreamConnectTimedOut:
            metrics.upstreamConnectFailures(reason: "timeout").increment()
            worker.logger.warning(
                "upstream connect timed out",
                metadata: [
                    "conn": "\(id)", "upstream": "\(upstreamAddress)",
                ])
        case .requestRefused(let rejection):
            metrics.http.rejected(reason: rejection.rawValue)
            worker.logger.debug(
                "request refused",
                metadata: [
                    "conn": "\(id)", "reason": "\(rejection.rawValue)", "status": "\(rejection.status)",
                    "requests_before": "\(filter?.requestCount ?? 0)",
                ])
        }
    }

    /// The log lines' `conn` field, built only when a line is actually logged (the metadata arguments
    /// are autoclosures): building it on every close cost a dictionary and a string per connection.
    private var connMetadata: Logger.Metadata { ["conn": "\(id)"] }

    /// Counts the close by reason; logs the handshake failures and aborts.
    func countAndLog(_ cause: CloseCause) {
        worker.metrics.connectionsClosed(cause.closeReason).increment()
        switch cause {
        case .handshakeTimedOut:
            worker.metrics.handshakeFailures(reason: HandshakeFailureReason.timeout.rawValue).increment()
            worker.logger.debug("handshake timed out", metadata: connMetadata)
        case .handshakePeerClosed:
            worker.metrics.handshakeFailures(reason: HandshakeFailureReason.peerClosed.rawValue).increment()
            worker.logger.debug("client closed during handshake", metadata: connMetadata)
        case .handshakeFailed:
            let failure = self.failure ?? .system(0)
            let reason = tls.failureReason(failure)
            worker.metrics.handshakeFailures(reason: reason.rawValue).increment()
            worker.logger.debug(
                "handshake failed",
                metadata: connMetadata.merging([
                    "reason": "\(reason.rawValue)", "error": "\(failure)",
                ]) { $1 })
        case .idleTimedOut:
            worker.logger.debug("idle timeout: closing", metadata: connMetadata)
        case .refusalTimedOut:
            worker.logger.debug("upstream did not finish before the refusal; closing", metadata: connMetadata)
        default:
            if let reason = cause.abortReason(failure) {
                worker.logger.debug(
                    "connection aborted", metadata: connMetadata.merging(["reason": "\(reason)"]) { $1 })
            }
        }
    }
}
