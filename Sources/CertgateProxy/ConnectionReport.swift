import CertgateHTTP
import Glibc

/// Something worth a metric or a log line that does not end the connection (those are `CloseCause`s).
enum ConnectionReport: Equatable {
    case handshakeSucceeded
    /// The upstream connect finished (for the connect duration histogram).
    case upstreamConnected
    /// The upstream connect failed with this errno.
    case upstreamConnectFailed(Int32)
    case upstreamConnectTimedOut
    /// `--forward-headers` refused a request: certgate answers it after the upstream's earlier responses.
    case requestRefused(RequestRejection)

    /// The `reason` label of a failed upstream connect.
    static func connectFailureReason(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "refused"
        case ETIMEDOUT: return "timeout"
        case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN: return "unreachable"
        case EMFILE, ENFILE: return "no_descriptors"
        default: return "other"
        }
    }
}
