import CertgateHTTP
import LibEV

/// `--forward-headers` as a connection plugs it in: the client → upstream bytes go through a
/// `RequestRewriter`, and the upstream → client bytes are shown to it (read only).
///
/// This is the whole interface between the connection and the rewriter: `ProxyConnection` calls it when
/// `ConnectionStateMachine` asks (`.feedRewriter`, `.resumeRewriter`, `.observeResponse`, a write of
/// `.rewriterOutput`) and hands the resulting `status` back to the machine, which decides what follows.
/// The rewriter's output is bounded (64 KiB) and what it cannot process yet is held, so a direction
/// still holds at most one pooled buffer plus the rewriter's bounded state.
///
/// Loop-confined, like its connection.
struct ForwardHeadersFilter {
    private let rewriter: RequestRewriter
    /// Requests already added to the worker's forwarded-request counter.
    private var requestsCounted = 0
    /// `--access-log`: the loop whose time stamps each request (`nil`: requests are not recorded).
    private let loop: EventLoop?

    init(headers: ForwardedHeaders, headLimit: Int, recordingOn loop: EventLoop? = nil) {
        rewriter = RequestRewriter(headers: headers, headLimit: headLimit)
        rewriter.recordsRequests = loop != nil
        self.loop = loop
    }

    /// Whether the access log wants a line per request (`answeredRequests`).
    var recordsRequests: Bool { loop != nil }

    /// The requests answered since the last call, and those forwarded and not answered (at the close).
    func takeAnsweredRequests() -> [RequestSummary] { rewriter.takeAnsweredRequests() }
    var unansweredRequests: [RequestSummary] { rewriter.unansweredRequests }
    /// Why the stream was refused, if it was (certgate answered the refused request itself).
    var rejection: RequestRejection? { rewriter.rejection }

    var status: RewriterStatus {
        RewriterStatus(
            hasOutput: rewriter.pendingOutputCount > 0, rejection: rewriter.rejection,
            holdsInput: rewriter.heldInputCount > 0, waitsForUpstream: rewriter.isWaitingForUpstream)
    }

    /// Request heads forwarded so far (for the log line of a refusal).
    var requestCount: Int { rewriter.requestCount }

    /// Processes bytes read from the client. Returns how many requests were forwarded since the last
    /// call (for the worker's counter).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let loop { rewriter.now = loop.now }
        rewriter.feed(bytes)
        return takeForwarded()
    }

    /// Processes held input. `moved`: something happened (input consumed, output produced, a refusal);
    /// when nothing did, the connection stops asking, so it never spins.
    mutating func resume() -> (moved: Bool, forwarded: Int) {
        let held = rewriter.heldInputCount
        if let loop { rewriter.now = loop.now }
        rewriter.resume()
        let moved = rewriter.heldInputCount < held || rewriter.pendingOutputCount > 0 || rewriter.rejection != nil
        return (moved, takeForwarded())
    }

    /// Shows the rewriter bytes the upstream sent. True when that released held input.
    func observeResponse(_ bytes: UnsafeRawBufferPointer) -> Bool {
        rewriter.observeUpstream(bytes)
    }

    /// Hands the output not written yet to `write`, which returns what happened to it; the bytes the
    /// sink took or that were parked leave the rewriter.
    func writeOutput(_ write: (UnsafeRawBufferPointer) -> WriteOutcome) -> WriteOutcome {
        let outcome = rewriter.withPendingOutput { output -> (WriteOutcome, Int) in
            let outcome = write(output)
            switch outcome {
            case .complete: return (outcome, output.count)
            case .blocked(let written, let parked, _): return (outcome, written + (parked?.count ?? 0))
            case .failed: return (outcome, 0)
            }
        }
        if outcome.1 > 0 { rewriter.consumeOutput(outcome.1) }
        return outcome.0
    }

    private mutating func takeForwarded() -> Int {
        let forwarded = rewriter.requestCount - requestsCounted
        requestsCounted = rewriter.requestCount
        return forwarded
    }
}
