import CertgateHTTP

/// The state of a connection's `RequestRewriter` (`--forward-headers`) as the state machine needs it,
/// taken after every rewriter operation. A fresh rewriter's status is the default.
struct RewriterStatus: Equatable {
    /// Rewritten bytes wait to be written upstream.
    var hasOutput = false
    /// The first refused request, once there is one.
    var rejection: RequestRejection?
    /// Client bytes are held, not processed yet.
    var holdsInput = false
    /// The held bytes cannot move before the upstream answers (an upgrade decision, a full pipeline).
    var waitsForUpstream = false

    /// Held input can be processed now.
    var canResume: Bool { holdsInput && !waitsForUpstream }
}
