import CertgateMetrics
import CertgatePosix
import CertgateTLS

/// Why a connection closes: what `ProxyConnection` counts and logs when it releases everything.
///
/// A trivial value (no references), like every action: it travels in `ConnectionAction` on every step
/// of the data path, where copying anything with a reference count costs. The TLS failure behind the
/// `…Failed` cases of the client side is kept by the shell that saw it, for the log line.
enum CloseCause: Equatable {
    case handshakeTimedOut
    /// No byte moved either way for `--idle-timeout` while proxying.
    case idleTimedOut
    /// The client closed or reset the connection during the handshake.
    case handshakePeerClosed
    /// The handshake failed (the shell knows the `TLSFailure`).
    case handshakeFailed
    /// No upstream and no `--forward-headers` to say so: the client got a close_notify, nothing else.
    case upstreamUnavailable
    /// A refused request waited `responseGrace` for the upstream's earlier responses in vain.
    case refusalTimedOut
    /// Both directions ended normally; the side whose end came first.
    case finished(ConnectionSide)
    /// The linger after certgate's own response is over (time passed, or the client closed).
    case lingerEnded
    /// The worker closes every connection (shutdown, or the end of `--drain-timeout`).
    case shutdown
    case clientReadFailed
    case clientWriteFailed
    /// The client's close_notify arrived while certgate was still sending to it.
    case clientClosedWhileSending
    case upstreamReadFailed(Int32)
    case upstreamWriteFailed(Int32)

    /// The `reason` of `certgate_connections_closed_total`.
    var closeReason: ConnectionCloseReason {
        switch self {
        case .idleTimedOut: return .idleTimeout
        case .handshakeTimedOut: return .handshakeTimeout
        case .handshakePeerClosed, .finished(.client), .lingerEnded: return .clientClose
        case .finished(.upstream): return .upstreamClose
        case .shutdown: return .drain
        case .handshakeFailed, .upstreamUnavailable, .refusalTimedOut, .clientReadFailed, .clientWriteFailed,
            .clientClosedWhileSending, .upstreamReadFailed, .upstreamWriteFailed:
            return .error
        }
    }

    /// For a hard I/O error after the handshake (the connection is aborted): the reason logged, with the
    /// TLS failure behind a client-side one.
    func abortReason(_ failure: TLSFailure?) -> String? {
        let detail = failure.map { "\($0)" } ?? "unknown"
        switch self {
        case .clientReadFailed: return "client read failed: \(detail)"
        case .clientWriteFailed: return "client write failed: \(detail)"
        case .clientClosedWhileSending: return "client closed the TLS session while data was being sent"
        case .upstreamReadFailed(let code): return "upstream read failed: \(SystemError.message(for: code))"
        case .upstreamWriteFailed(let code): return "upstream write failed: \(SystemError.message(for: code))"
        default: return nil
        }
    }
}
