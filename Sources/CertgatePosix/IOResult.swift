/// Outcome of one non-blocking `read`/`write`/`accept` on a socket.
public enum IOResult: Equatable {
    /// `n` bytes moved (or, for accept, a new descriptor).
    case done(Int)
    /// Nothing to do until the descriptor is ready again (EAGAIN/EWOULDBLOCK).
    case wouldBlock
    /// The peer closed its sending side (read returned 0).
    case endOfStream
    /// A hard error (errno), e.g. ECONNRESET or EPIPE.
    case failed(Int32)
}
