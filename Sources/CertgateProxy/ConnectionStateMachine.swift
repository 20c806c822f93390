import CertgatePosix
import CertgateTLS
import LibEV

/// Every decision of one client connection, and none of its I/O: a value that is told what happened (an
/// event, or the result of the last action) and answers the one `ConnectionAction` to perform next.
///
/// `ProxyConnection` is the shell around it: it performs each action (a syscall, a TLS call, a buffer
/// copy) and hands the result back until the answer is `.wait`; then it watches `clientInterest` and
/// `upstreamInterest` and arms its one timer for `deadline`. Tests drive the same functions without a
/// socket.
///
/// Phases: `handshaking` → `connecting` → `proxying` (→ `lingering`) → `closing` → `closed`. The
/// proxying phase is a `ConnectionTransfer` (both directions, half-closes, backpressure, the rewriter);
/// this type owns the rest: the handshake, the upstream connect, what happens when the upstream cannot
/// be reached, the linger after certgate's own response, which deadline applies, and the close, which
/// gives every pooled buffer back before it releases the connection.
///
/// `deadline` is derived from the state, one at a time: the handshake timeout while handshaking, the
/// connect timeout while connecting, the response grace while a refused request waits, the linger while
/// lingering, and while proxying otherwise the idle timeout (when it is on). Every deadline that fires
/// moves the connection on, so the timer never fires twice for one, except `idle`: the shell does not
/// touch the timer when bytes move, so the timer may fire after traffic; `timerFired(quietFor:)` then
/// keeps the deadline and the shell arms the timer for the time left.
struct ConnectionStateMachine {
    enum Phase: Equatable {
        case handshaking
        case connecting
        case proxying
        /// certgate has answered the client itself and both directions are done: reading and dropping
        /// until the client closes too or the `linger` deadline passes.
        case lingering
        /// Giving the buffers back (after a close_notify when due), then `.close`.
        case closing
        case closed
    }

    private(set) var phase: Phase = .handshaking
    /// The proxying phase (an idle one before it).
    private(set) var transfer = ConnectionTransfer()
    let forwardsHeaders: Bool
    let sendsProxyHeader: Bool
    /// `--idle-timeout`; nil when off.
    let idleTimeout: Duration?

    /// What the handshake last waited for.
    private var handshakeWaitsFor: IOEvents = .read
    /// The handshake is done and the connect not started yet.
    private var connectDue = false
    /// Reads left in this event while lingering.
    private var lingerReads = 0
    private var closeCause = CloseCause.finished(.client)
    /// Send close_notify before closing (the client gets a polite end when the upstream is unusable).
    private var saysGoodbye = false

    /// Upstream addresses left to try after the current connect fails.
    private var connectRetries: Int

    /// `upstreamAddresses`: how many addresses a failed connect may move through (each once).
    init(forwardsHeaders: Bool, sendsProxyHeader: Bool, idleTimeout: Duration? = nil, upstreamAddresses: Int = 1) {
        self.connectRetries = max(upstreamAddresses, 1) - 1
        self.forwardsHeaders = forwardsHeaders
        self.sendsProxyHeader = sendsProxyHeader
        self.idleTimeout = idleTimeout
    }

    /// What the connection's one timer is armed for; nil while it is stopped.
    var deadline: ConnectionDeadline? {
        switch phase {
        case .handshaking: return .handshake
        case .connecting: return .connect
        case .proxying: return transfer.deadline ?? (idleTimeout == nil ? nil : .idle)
        case .lingering: return .linger
        case .closing, .closed: return nil
        }
    }

    var clientInterest: IOEvents {
        switch phase {
        case .handshaking: return handshakeWaitsFor
        case .proxying: return transfer.clientInterest
        case .lingering: return .read
        case .connecting, .closing, .closed: return []
        }
    }

    var upstreamInterest: IOEvents {
        switch phase {
        case .connecting: return .write
        case .proxying: return transfer.upstreamInterest
        case .handshaking, .lingering, .closing, .closed: return []
        }
    }

    // MARK: Events

    /// Accepted: wait for the ClientHello (within the handshake deadline).
    func start() -> ConnectionAction {
        .wait
    }

    mutating func clientReady(_ events: IOEvents) -> ConnectionAction {
        switch phase {
        case .handshaking:
            return .handshake
        case .proxying:
            return pass(transfer.ready(.client, events))
        case .lingering:
            lingerReads = ConnectionTransfer.readBudget
            return next()
        case .connecting, .closing, .closed:
            return next()
        }
    }

    mutating func upstreamReady(_ events: IOEvents) -> ConnectionAction {
        switch phase {
        case .connecting:
            return .checkConnect
        case .proxying:
            return pass(transfer.ready(.upstream, events))
        case .handshaking, .lingering, .closing, .closed:
            return next()
        }
    }

    /// `quietFor`: how long ago bytes last moved (only the idle deadline looks at it). Shorter than the
    /// idle timeout: nothing happens, the deadline stays and the shell arms the timer for the rest.
    mutating func timerFired(quietFor: Duration = .zero) -> ConnectionAction {
        switch deadline {
        case .idle:
            guard let idleTimeout, quietFor >= idleTimeout else { return next() }
            return close(.idleTimedOut)
        case .handshake: return close(.handshakeTimedOut)
        case .connect: return connectFailed(.upstreamConnectTimedOut, answer: .gatewayTimeout)
        case .responseGrace: return close(.refusalTimedOut)
        case .linger: return close(.lingerEnded)
        case nil: return next()
        }
    }

    /// The worker closes every connection (shutdown, or the end of the drain timeout): nothing more is
    /// sent, every buffer goes back.
    mutating func forceClose() -> ConnectionAction {
        guard phase != .closing, phase != .closed else { return next() }
        return close(.shutdown)
    }

    // MARK: Results

    mutating func handshakeStepped(_ result: TLSResult) -> ConnectionAction {
        switch result {
        case .done:
            phase = .connecting
            connectDue = true
            return .report(.handshakeSucceeded)
        case .wantRead:
            handshakeWaitsFor = .read
            return next()
        case .wantWrite:
            handshakeWaitsFor = .write
            return next()
        case .closed:
            return close(.handshakePeerClosed)
        case .failed:
            return close(.handshakeFailed)
        }
    }

    mutating func connectStarted(_ result: ConnectResult) -> ConnectionAction {
        switch result {
        case .connected: return startProxying()
        case .inProgress: return next()
        case .failed(let code): return connectFailed(.upstreamConnectFailed(code), answer: .badGateway)
        }
    }

    /// `code`: the socket's pending error, 0 when the connect succeeded.
    mutating func connectChecked(_ code: Int32) -> ConnectionAction {
        code == 0 ? startProxying() : connectFailed(.upstreamConnectFailed(code), answer: .badGateway)
    }

    mutating func clientRead(_ result: TLSResult) -> ConnectionAction {
        guard phase == .lingering else { return pass(transfer.clientRead(result)) }
        switch result {
        case .done: break
        case .wantRead, .wantWrite: lingerReads = 0
        case .closed, .failed: return close(.lingerEnded)
        }
        return next()
    }

    /// A `.readClient(onlyIfBuffered: true)` found nothing buffered.
    mutating func nothingBuffered() -> ConnectionAction {
        pass(transfer.nothingBuffered())
    }

    /// `filledBuffer`: a `.done` read filled the whole buffer (a shorter one drained the socket).
    mutating func upstreamRead(_ result: IOResult, filledBuffer: Bool) -> ConnectionAction {
        pass(transfer.upstreamRead(result, filledBuffer: filledBuffer))
    }

    /// The result of a `.write`; `rewriter` is the status after a write of `.rewriterOutput`.
    mutating func wrote(_ outcome: WriteOutcome, rewriter: RewriterStatus? = nil) -> ConnectionAction {
        pass(transfer.wrote(outcome, rewriter: rewriter))
    }

    mutating func closeNotifySent(_ result: TLSResult) -> ConnectionAction {
        // While closing it is the goodbye, whose result changes nothing.
        phase == .proxying ? pass(transfer.closeNotifySent(result)) : next()
    }

    mutating func rewriterAdvanced(_ status: RewriterStatus) -> ConnectionAction {
        pass(transfer.rewriterAdvanced(status))
    }

    /// `moved`: the rewriter consumed held input, produced output or refused; when nothing moved it is
    /// not asked again in this event.
    mutating func rewriterResumed(moved: Bool, _ status: RewriterStatus) -> ConnectionAction {
        pass(transfer.rewriterResumed(moved: moved, status))
    }

    mutating func responseObserved(releasedInput: Bool, _ status: RewriterStatus) -> ConnectionAction {
        pass(transfer.responseObserved(releasedInput: releasedInput, status))
    }

    /// The action after one without a result.
    mutating func next() -> ConnectionAction {
        switch phase {
        case .handshaking, .closed:
            return .wait
        case .connecting:
            guard connectDue else { return .wait }
            connectDue = false
            return .connect
        case .proxying:
            return pass(transfer.next())
        case .lingering:
            guard lingerReads > 0 else { return .wait }
            lingerReads -= 1
            return .readClient(onlyIfBuffered: false)
        case .closing:
            return closingStep()
        }
    }

    // MARK: Transitions

    private mutating func startProxying() -> ConnectionAction {
        phase = .proxying
        transfer = ConnectionTransfer(forwardsHeaders: forwardsHeaders, sendsProxyHeader: sendsProxyHeader)
        return .report(.upstreamConnected)
    }

    /// No upstream after a successful handshake. With `--forward-headers` the client gets `answer`;
    /// otherwise a close_notify, then the close.
    /// A connect failed: the next upstream address gets its turn (after the report) while there is one.
    private mutating func connectFailed(_ report: ConnectionReport, answer: OwnResponse) -> ConnectionAction {
        guard connectRetries > 0 else { return upstreamUnusable(report, answer: answer) }
        connectRetries -= 1
        connectDue = true
        return .report(report)
    }

    private mutating func upstreamUnusable(_ report: ConnectionReport, answer: OwnResponse) -> ConnectionAction {
        if forwardsHeaders {
            phase = .proxying
            transfer = ConnectionTransfer(answering: answer)
        } else {
            beginClosing(.upstreamUnavailable, goodbye: true)
        }
        return .report(report)
    }

    /// Passes on what the transfer answered: its aborts become this connection's close, and the end of
    /// an event with both directions done becomes the close (or the linger).
    private mutating func pass(_ action: ConnectionAction) -> ConnectionAction {
        switch action {
        case .close(let cause):
            return close(cause)
        case .wait where transfer.isFinished:
            guard transfer.lingers else { return close(.finished(transfer.endedFirst ?? .client)) }
            phase = .lingering
            return .wait
        default:
            return action
        }
    }

    private mutating func close(_ cause: CloseCause) -> ConnectionAction {
        beginClosing(cause, goodbye: false)
        return closingStep()
    }

    private mutating func beginClosing(_ cause: CloseCause, goodbye: Bool) {
        phase = .closing
        closeCause = cause
        saysGoodbye = goodbye
    }

    /// close_notify first when due, then every pooled buffer back, then the close itself.
    private mutating func closingStep() -> ConnectionAction {
        if saysGoodbye {
            saysGoodbye = false
            return .sendCloseNotify
        }
        if let buffer = transfer.takeBuffer() { return .recycle(buffer) }
        phase = .closed
        return .close(closeCause)
    }
}
