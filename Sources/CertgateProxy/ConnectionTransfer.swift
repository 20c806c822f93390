import CertgateHTTP
import CertgatePosix
import CertgateTLS
import LibEV

/// The proxying phase of a connection: bytes moving both ways, as decisions without I/O. Part of
/// `ConnectionStateMachine`, which creates one when the upstream is connected (or unusable, with
/// `--forward-headers`) and hands it every event of that phase; it answers `ConnectionAction`s the same
/// way, ending an event with `.wait`, or with `.close` when the connection must be aborted.
///
/// Each direction is a `StreamDirection` and ends on its own (half-close): the client's close_notify or
/// FIN becomes `shutdown(SHUT_WR)` upstream, the upstream's FIN becomes close_notify + FIN to the client,
/// and the other direction keeps flowing until it ends too. Bytes read land in the worker's scratch
/// buffer and are written to the other side at once; only what that side refuses is parked (one pooled
/// buffer per direction), and while bytes are parked their source is not read (backpressure).
///
/// With `--forward-headers` the client → upstream bytes go through the rewriter (`.feedRewriter`,
/// `.resumeRewriter`, `.observeResponse`, writes of `.rewriterOutput`, and the `RewriterStatus` each
/// returns). A refused request half-closes the upstream and arms `deadline` (`responseGrace`); the
/// upstream's remaining responses pass on, then certgate's own answer follows, and `lingers` is set.
///
/// Within one readiness event the work is done in a fixed order, the *agenda*: first the parked bytes
/// for the ready side, then, once they are out, more of that direction at once (its source was not being
/// watched), then reading from the ready side. Each such loop, a *task*, reads at most `readBudget` times
/// per event, so one busy connection does not starve the others on its worker (what OpenSSL still holds
/// then is left to the loop's next iteration: `.readClientLater`).
///
/// A task does not read until a read would block: the watchers are level-triggered, so whatever a short
/// read left on the socket shows up as readiness again. An upstream read that did not fill the buffer
/// ends the task; after a TLS read, the client is read again only while OpenSSL holds bytes already read
/// from the socket (read-ahead), which readiness cannot show. That saves the EAGAIN read on each side of
/// a keep-alive request.
struct ConnectionTransfer {
    /// Reads per task and event.
    static let readBudget = 16

    /// Client → upstream (TLS read, socket write).
    private(set) var toUpstream = StreamDirection()
    /// Upstream → client (socket read, TLS write).
    private(set) var toClient = StreamDirection()
    /// `responseGrace` while a refused request waits for the upstream's earlier responses.
    private(set) var deadline: ConnectionDeadline?
    /// The rewriter's status as of its last operation (`--forward-headers`).
    private(set) var rewriter = RewriterStatus()
    /// Linger instead of closing once both directions are done (certgate answered the client itself).
    private(set) var lingers = false
    /// The side whose end (close_notify or FIN) was read first, for the close's reason.
    private(set) var endedFirst: ConnectionSide?
    private let forwardsHeaders: Bool

    /// What the TLS engine last waited for, per operation: OpenSSL may need to write while reading and
    /// the other way round, so readiness is tracked separately for each.
    private var tlsReadWaitsFor: IOEvents = .read
    private var tlsWriteWaitsFor: IOEvents = .write
    /// certgate's response to a refused request, held until the upstream has finished its side.
    private var heldResponse: OwnResponse?

    // The work of the event being handled.
    private var agenda = Agenda.none
    private var task = Task.none
    /// One-shot actions due before the task goes on, and a buffer to give back.
    private var chores: ConnectionChores = []
    private var recycled: UnsafeMutableRawPointer?
    /// Upstream bytes in the scratch buffer that the rewriter is being shown, to write to the client next.
    private var observedCount = 0
    /// Reads left in this event, per source.
    private var clientReads = 0
    private var upstreamReads = 0
    /// Read the client only while OpenSSL holds bytes already taken from the socket (after a read, or
    /// just connected): readiness shows the rest.
    private var clientReadsBuffered = false
    /// An upstream response just released the rewriter's held input: move it on after delivering.
    private var releasedInput = false
    /// The running client → upstream task interrupted the upstream → client one, which goes on after it.
    private var resumesToClient = false

    /// Nothing moves: the state before the upstream is connected.
    init() {
        forwardsHeaders = false
    }

    /// Just connected: the rewriter is created, the PROXY header goes first, then the client bytes
    /// OpenSSL may already hold.
    init(forwardsHeaders: Bool, sendsProxyHeader: Bool) {
        self.forwardsHeaders = forwardsHeaders
        if forwardsHeaders { chores.insert(.startRewriting) }
        task = sendsProxyHeader ? .proxyHeader : .none
        agenda = .connected
    }

    /// No upstream (`--forward-headers`): the upstream socket goes, the client gets `answer`, then the
    /// half-close; nothing is read from the client but the linger.
    init(answering answer: OwnResponse) {
        forwardsHeaders = true
        chores.insert(.dropUpstream)
        toUpstream.markSourceEnded()
        toUpstream.markSinkClosed()
        lingers = true
        task = .endToClient(answer)
    }

    /// Both directions are done.
    var isFinished: Bool { toUpstream.isFinished && toClient.isFinished }

    /// Whether to read from the client now: the direction allows it, and the rewriter is not holding
    /// input until the upstream answers.
    var wantsClientInput: Bool { toUpstream.canRead && !rewriter.waitsForUpstream }

    var clientInterest: IOEvents {
        var events: IOEvents = []
        if toClient.pending != nil || toClient.needsSinkClose { events.formUnion(tlsWriteWaitsFor) }
        if wantsClientInput { events.formUnion(tlsReadWaitsFor) }
        return events
    }

    var upstreamInterest: IOEvents {
        var events: IOEvents = []
        if toUpstream.pending != nil { events.insert(.write) }
        if toClient.canRead { events.insert(.read) }
        return events
    }

    // MARK: Events and results

    mutating func ready(_ side: ConnectionSide, _ events: IOEvents) -> ConnectionAction {
        agenda = .ready(side, events, flushed: false)
        return next()
    }

    mutating func clientRead(_ result: TLSResult) -> ConnectionAction {
        switch result {
        case .done(let count):
            // Straight on to the upstream (through the rewriter with --forward-headers); the next read
            // only takes what OpenSSL holds.
            tlsReadWaitsFor = .read
            clientReadsBuffered = true
            return forwardsHeaders ? .feedRewriter(count: count) : .write(.scratch(count), to: .upstream)
        case .wantRead:
            tlsReadWaitsFor = .read
            endTask()
        case .wantWrite:
            tlsReadWaitsFor = .write
            endTask()
        case .closed:
            if endedFirst == nil { endedFirst = .client }
            toUpstream.markSourceEnded()
            if toUpstream.needsSinkClose { closeUpstreamSink() }
            endTask()
        case .failed:
            return .close(.clientReadFailed)
        }
        return next()
    }

    mutating func nothingBuffered() -> ConnectionAction {
        endTask()
        return next()
    }

    /// `filledBuffer`: a `.done` read took all it asked for, so more may be waiting; a short one ends the
    /// task (the rest, if any, shows up as readiness again).
    mutating func upstreamRead(_ result: IOResult, filledBuffer: Bool) -> ConnectionAction {
        switch result {
        case .done(let count):
            if !filledBuffer { upstreamReads = 0 }
            // Straight on to the client; with --forward-headers the rewriter sees the response first.
            guard forwardsHeaders else { return .write(.scratch(count), to: .client) }
            observedCount = count
            return .observeResponse(count: count)
        case .wouldBlock:
            endTask()
        case .endOfStream:
            // The upstream has finished: a refused request's answer goes out now, then the half-close.
            if endedFirst == nil { endedFirst = .upstream }
            task = .endToClient(heldResponse)
            heldResponse = nil
        case .failed(let code):
            return .close(.upstreamReadFailed(code))
        }
        return next()
    }

    mutating func wrote(_ outcome: WriteOutcome, rewriter status: RewriterStatus?) -> ConnectionAction {
        if let status { rewriter = status }
        if case .failed(let cause) = outcome { return .close(cause) }
        switch task {
        case .flush(let side):
            flushed(side, outcome)
        case .proxyHeader, .toUpstream:
            // A parked remainder stops the reading; the task notices.
            if case .blocked(_, let parked?, _) = outcome { toUpstream.park(parked) }
            if task == .proxyHeader { endTask() }
        case .toClient, .endToClient:
            if case .blocked(_, let parked?, let waitsFor) = outcome {
                toClient.park(parked)
                tlsWriteWaitsFor = waitsFor
            }
        case .none:
            break
        }
        return next()
    }

    mutating func closeNotifySent(_ result: TLSResult) -> ConnectionAction {
        switch result {
        case .wantWrite:
            tlsWriteWaitsFor = .write
        case .wantRead:
            tlsWriteWaitsFor = .read
        case .done, .closed, .failed:
            // Sent, or the client is gone and nothing more can reach it: either way this side is done.
            toClient.markSinkClosed()
            chores.insert(.shutdownClient)
        }
        return next()
    }

    mutating func rewriterAdvanced(_ status: RewriterStatus) -> ConnectionAction {
        rewriter = status
        return next()
    }

    mutating func rewriterResumed(moved: Bool, _ status: RewriterStatus) -> ConnectionAction {
        rewriter = status
        if !moved { endTask() }
        return next()
    }

    mutating func responseObserved(releasedInput released: Bool, _ status: RewriterStatus) -> ConnectionAction {
        rewriter = status
        releasedInput = released
        return .write(.scratch(observedCount), to: .client)
    }

    /// The next action of the event being handled; `.wait` once it is done. Called several times per
    /// request, so its helpers are inlined into it.
    mutating func next() -> ConnectionAction {
        while true {
            if let chore = takeChore() { return chore }
            if task != .none {
                if let action = taskStep() { return action }
            } else if !advanceAgenda() {
                return .wait
            }
        }
    }

    /// The connection closes: the buffers still held, one per call, for the pool.
    mutating func takeBuffer() -> UnsafeMutableRawPointer? {
        defer { recycled = nil }
        return recycled ?? toUpstream.discardPending() ?? toClient.discardPending()
    }

    // MARK: Decisions

    /// The first refused request: the upstream gets the end of the requests, certgate's response follows
    /// the upstream's last one (at once when the upstream has already finished).
    private mutating func refuse(_ rejection: RequestRejection) -> ConnectionAction {
        lingers = true
        toUpstream.markSourceEnded()
        closeUpstreamSink()
        if toClient.sourceEnded {
            task = .endToClient(.refused(rejection))
        } else {
            heldResponse = .refused(rejection)
            deadline = .responseGrace
            endTask()
        }
        return .report(.requestRefused(rejection))
    }

    private mutating func closeUpstreamSink() {
        toUpstream.markSinkClosed()
        chores.insert(.shutdownUpstream)
    }

    /// Parked bytes went out (some or all) during a flush of the direction into `side`.
    private mutating func flushed(_ side: ConnectionSide, _ outcome: WriteOutcome) {
        switch outcome {
        case .complete:
            if side == .client { tlsWriteWaitsFor = .write }
            recycled = withDirection(into: side) { $0.consumePending($0.pending?.count ?? 0) }
            switch side {
            case .client where toClient.needsSinkClose:
                chores.insert(.closeNotify)
                endTask()
            case .upstream where toUpstream.needsSinkClose:
                closeUpstreamSink()
                endTask()
            case .client:
                task = .toClient
                upstreamReads = Self.readBudget
            case .upstream:
                startReadingClient()
            }
        case .blocked(let written, _, let waitsFor):
            _ = withDirection(into: side) { $0.consumePending(written) }
            if side == .client { tlsWriteWaitsFor = waitsFor }
            endTask()
        case .failed:
            break
        }
    }

    @inline(__always)
    private mutating func takeChore() -> ConnectionAction? {
        if let buffer = recycled {
            recycled = nil
            return .recycle(buffer)
        }
        return chores.takeFirst()
    }

    /// Moves the agenda on by one step (starting the task it calls for, if any); false when it is done.
    private mutating func advanceAgenda() -> Bool {
        switch agenda {
        case .none:
            return false
        case .connected:
            // Only what OpenSSL already decrypted: readiness shows the rest.
            agenda = .none
            startReadingClient()
            clientReadsBuffered = true
        case .ready(let side, let events, flushed: false):
            agenda = .ready(side, events, flushed: true)
            switch side {
            case .client
            where !events.isDisjoint(with: tlsWriteWaitsFor)
                && (toClient.pending != nil || toClient.needsSinkClose):
                task = .flush(.client)
            case .upstream where events.contains(.write) && toUpstream.pending != nil:
                task = .flush(.upstream)
            case .client, .upstream:
                break
            }
        case .ready(let side, let events, flushed: true):
            agenda = .none
            switch side {
            case .client where wantsClientInput && !events.isDisjoint(with: tlsReadWaitsFor):
                startReadingClient()
            case .upstream where events.contains(.read) && toClient.canRead:
                task = .toClient
                upstreamReads = Self.readBudget
            case .client, .upstream:
                break
            }
        }
        return true
    }

    /// The running task's next action, or nil once it has ended (or handed over to another task).
    @inline(__always)
    private mutating func taskStep() -> ConnectionAction? {
        switch task {
        case .none:
            return nil
        case .proxyHeader:
            return .write(.proxyHeader, to: .upstream)
        case .flush(let side):
            if let parked = side == .client ? toClient.pending : toUpstream.pending {
                return .write(.parked(parked), to: side)
            }
            if side == .client && toClient.needsSinkClose { chores.insert(.closeNotify) }
        case .toUpstream:
            guard toUpstream.pending == nil else { break }
            if rewriter.hasOutput { return .write(.rewriterOutput, to: .upstream) }
            if let rejection = rewriter.rejection, !toUpstream.sourceEnded { return refuse(rejection) }
            if rewriter.canResume { return .resumeRewriter }
            guard wantsClientInput else { break }
            guard clientReads > 0 else {
                endTask()
                return .readClientLater
            }
            clientReads -= 1
            return .readClient(onlyIfBuffered: clientReadsBuffered)
        case .toClient:
            if releasedInput {
                releasedInput = false
                if toUpstream.pending == nil && !toUpstream.sourceEnded {
                    resumesToClient = true
                    startReadingClient()
                    return nil
                }
            }
            guard toClient.canRead && upstreamReads > 0 else { break }
            upstreamReads -= 1
            return .readUpstream
        case .endToClient(let answer):
            if let answer {
                task = .endToClient(nil)
                deadline = nil
                return .write(.response(answer), to: .client)
            }
            toClient.markSourceEnded()
            if toClient.needsSinkClose { chores.insert(.closeNotify) }
        }
        endTask()
        return nil
    }

    private mutating func startReadingClient() {
        task = .toUpstream
        clientReads = Self.readBudget
        clientReadsBuffered = false
    }

    @inline(__always)
    private mutating func endTask() {
        task = resumesToClient ? .toClient : .none
        resumesToClient = false
    }

    private mutating func withDirection<R>(into side: ConnectionSide, _ body: (inout StreamDirection) -> R) -> R {
        switch side {
        case .client: return body(&toClient)
        case .upstream: return body(&toUpstream)
        }
    }
}

extension ConnectionTransfer {
    /// What the current event still has to do once the running task ends.
    private enum Agenda: Equatable {
        case none
        /// Just connected: client bytes OpenSSL already holds go upstream (after the PROXY header).
        case connected
        /// `side` is ready for `events`: its parked bytes first (`flushed` once decided), then reading it.
        case ready(ConnectionSide, IOEvents, flushed: Bool)
    }

    private enum Task: Equatable {
        case none
        /// The PROXY header, first on the upstream connection.
        case proxyHeader
        /// The parked bytes of the direction into `side`; once they are out, that direction's half-close
        /// or more of it.
        case flush(ConnectionSide)
        /// Reading the client (through the rewriter with `--forward-headers`) and writing upstream.
        case toUpstream
        /// Reading the upstream and writing to the client.
        case toClient
        /// The upstream → client direction ends: certgate's own answer first when one is due, then the
        /// half-close.
        case endToClient(OwnResponse?)
    }
}
