/// What a connection's one timer is armed for. `ConnectionStateMachine` decides which deadline applies
/// (at most one at a time); `ProxyConnection` re-arms its timer whenever that changes.
///
/// A new limit is one more case here and a rule in the machine saying when it is armed and what firing
/// means. `idle` is the one case the shell knows more of: it arms the timer for what is left of the
/// timeout since the last activity, not for the whole of it.
enum ConnectionDeadline: Equatable {
    /// `--handshake-timeout`, from the accept.
    case handshake
    /// `--connect-timeout`, while the upstream connect is in progress.
    case connect
    /// A refused request waits this long for the upstream's responses to the requests before it.
    case responseGrace
    /// After certgate's own response: how long it keeps reading (and dropping) before it closes.
    case linger
    /// `--idle-timeout`, while proxying: no byte moved either way for that long. The shell does not
    /// re-arm the timer when bytes move; when it fires early (there was traffic since), the machine
    /// keeps this deadline and the shell arms the timer again for the time left.
    case idle

    /// How long after arming this deadline passes.
    func duration(in settings: ProxySettings) -> Duration {
        switch self {
        case .handshake: return settings.handshakeTimeout
        case .connect: return settings.connectTimeout
        case .responseGrace, .linger: return settings.responseGrace
        case .idle: return settings.idleTimeout ?? .zero
        }
    }
}
