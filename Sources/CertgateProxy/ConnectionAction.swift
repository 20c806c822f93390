/// The one thing `ConnectionStateMachine` asks its connection to do next. After each action the
/// connection reports back (the result of the operation, or `next()` for those that have none) and gets
/// the following action, until `.wait`.
///
/// A small value on purpose: one is returned per step of the data path, so it must never allocate.
enum ConnectionAction: Equatable {
    /// Nothing more to do until the next event: watch what `clientInterest` and `upstreamInterest` say,
    /// arm the timer for `deadline`.
    case wait
    /// One `SSL_do_handshake` step → `handshakeStepped(_:)`.
    case handshake
    /// Start the non-blocking upstream connect → `connectStarted(_:)`.
    case connect
    /// Read the in-progress connect's result (`SO_ERROR`) → `connectChecked(_:)`.
    case checkConnect
    /// One TLS read from the client into the worker's scratch buffer → `clientRead(_:)`. With
    /// `onlyIfBuffered`, only when OpenSSL already holds bytes read from the socket (readiness will not show
    /// them); otherwise → `nothingBuffered()`.
    case readClient(onlyIfBuffered: Bool)
    /// The event's read budget is spent while OpenSSL may still hold client bytes, which readiness will
    /// not show: when it does, the loop is to call back with `.read` in its next iteration → `next()`.
    case readClientLater
    /// One read from the upstream socket into the scratch buffer → `upstreamRead(_:filledBuffer:)`.
    case readUpstream
    /// Write bytes to a side through the one write path → `wrote(_:rewriter:)`.
    case write(Bytes, to: ConnectionSide)
    /// `shutdown(SHUT_WR)` on the upstream socket (the client's end, passed on) → `next()`.
    case shutdownUpstream
    /// `shutdown(SHUT_WR)` on the client socket, after its close_notify → `next()`.
    case shutdownClient
    /// `SSL_shutdown`: close_notify to the client → `closeNotifySent(_:)`.
    case sendCloseNotify
    /// Close the upstream socket and forget it: certgate answers the client itself → `next()`.
    case dropUpstream
    /// Count and log something → `next()`.
    case report(ConnectionReport)
    /// Give a pooled buffer back to the worker's pool → `next()`.
    case recycle(UnsafeMutableRawPointer)
    /// Create the `--forward-headers` rewriter for this client → `next()`.
    case startRewriting
    /// Hand the scratch buffer's first `count` bytes (just read from the client) to the rewriter →
    /// `rewriterAdvanced(_:)`.
    case feedRewriter(count: Int)
    /// Let the rewriter process the input it holds → `rewriterResumed(moved:_:)`.
    case resumeRewriter
    /// Show the rewriter the scratch buffer's first `count` bytes (just read from the upstream) →
    /// `responseObserved(releasedInput:_:)`.
    case observeResponse(count: Int)
    /// Release everything (watchers, timer, descriptors) and leave the worker. The last action.
    case close(CloseCause)

    /// Where the bytes of a `.write` come from.
    enum Bytes: Equatable {
        /// The first `count` bytes of the worker's scratch buffer, just read from the other side.
        case scratch(Int)
        /// The receiving direction's parked bytes (they stay parked until written).
        case parked(PendingBytes)
        /// The `--forward-headers` rewriter's output.
        case rewriterOutput
        /// The PROXY protocol header (`--proxy-protocol`); not counted as client bytes.
        case proxyHeader
        /// certgate's own response to the client.
        case response(OwnResponse)
    }
}
