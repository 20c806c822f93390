/// The `reason` label of `certgate_connections_closed_total`: why a client connection ended, in the few
/// words an operator alerts on. Every value exists from start-up (at 0).
public enum ConnectionCloseReason: String, CaseIterable, Sendable {
    /// No byte moved either way for `--idle-timeout`.
    case idleTimeout = "idle_timeout"
    /// The TLS handshake did not finish within `--handshake-timeout`.
    case handshakeTimeout = "handshake_timeout"
    /// The client ended the connection (its close_notify or FIN came first, also during the handshake),
    /// or it closed after certgate's own response.
    case clientClose = "client_close"
    /// The upstream ended its side first; the client got the rest and a close_notify.
    case upstreamClose = "upstream_close"
    /// A failed handshake, an unreachable upstream, or an I/O error on either side.
    case error
    /// Closed by certgate on shutdown (the end of `--drain-timeout`, or a second signal).
    case drain
}
