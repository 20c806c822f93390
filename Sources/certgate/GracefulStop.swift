import CertgateConfig
import CertgateProxy
import Glibc
import LibEV
import Logging

/// SIGTERM/SIGINT handling: the first signal drains, a second one exits at once.
///
/// Readiness turns false at once (`/readyz` answers 503). With a `delay` (`--shutdown-delay`) certgate
/// goes on accepting and serving for that long, so that load balancers and Kubernetes endpoints, which
/// notice the change only after a while, stop sending before the listeners close. Then the drain: every
/// worker closes its listener (new connections are refused), connections already accepted run to
/// completion for up to `timeout`, then whatever is left is closed and the control loop ends (exit
/// status 0). The admin listener stays up until the end so orchestrators can watch the drain. Runs on
/// the control loop.
final class GracefulStop {
    private let loop: EventLoop
    private let server: ProxyServer
    /// `--drain-timeout`; a configuration reload may change it before the stop begins.
    var timeout: Duration
    /// `--shutdown-delay`; a configuration reload may change it before the stop begins.
    var delay: Duration
    private let logger: Logger
    private let beforeDrain: () -> Void
    private let afterDrain: () -> Void
    private var poll: TimerWatcher?
    private var deadline: TimerWatcher?
    private var delayTimer: TimerWatcher?
    private var started: ContinuousClock.Instant?
    /// False from the first signal on.
    private(set) var isServing = true

    /// How often the control loop checks whether every worker has finished.
    static let pollInterval = Duration.milliseconds(50)

    /// - Parameters:
    ///   - beforeDrain: runs when draining starts (stop reloading, and the like).
    ///   - afterDrain: runs once every connection is gone, before the control loop stops.
    init(
        loop: EventLoop, server: ProxyServer, timeout: Duration, delay: Duration = .zero, logger: Logger,
        beforeDrain: @escaping () -> Void, afterDrain: @escaping () -> Void
    ) {
        self.loop = loop
        self.server = server
        self.timeout = timeout
        self.delay = delay
        self.logger = logger
        self.beforeDrain = beforeDrain
        self.afterDrain = afterDrain
    }

    /// A stop signal arrived.
    func signalled(_ name: String) {
        guard isServing else {
            logger.notice("second \(name): exiting now")
            exit(0)
        }
        isServing = false
        guard delay > .zero else { return drain(name) }
        logger.notice(
            "\(name) received: not ready, still accepting until the shutdown delay has passed",
            metadata: ["shutdown_delay": "\(DurationSyntax.format(delay))"])
        let timer = TimerWatcher(loop: loop) { [unowned self] in self.drain(name) }
        timer.start(after: delay)
        delayTimer = timer
    }

    /// Stops accepting and waits for the connections to finish (up to `timeout`).
    private func drain(_ name: String) {
        started = .now
        logger.notice(
            "\(name) received: draining",
            metadata: [
                "drain_timeout": "\(DurationSyntax.format(timeout))",
                "connections": "\(server.activeConnectionEstimate)",
            ])
        beforeDrain()
        server.drain()
        let deadline = TimerWatcher(loop: loop) { [unowned self] in self.finish(forced: true) }
        deadline.start(after: timeout)
        self.deadline = deadline
        let poll = TimerWatcher(loop: loop) { [unowned self] in
            if self.server.isStopped { self.finish(forced: false) }
        }
        poll.start(after: .zero, repeating: Self.pollInterval)
        self.poll = poll
    }

    private func finish(forced: Bool) {
        poll?.stop()
        deadline?.stop()
        let left = server.activeConnectionEstimate
        server.shutdown()
        let elapsed = started.map { ContinuousClock.now - $0 } ?? .zero
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        if forced && left > 0 {
            logger.warning(
                "drain timeout: closed the remaining connections",
                metadata: [
                    "connections": "\(left)", "drain_ms": "\(milliseconds)",
                ])
        } else {
            logger.notice("drained", metadata: ["drain_ms": "\(milliseconds)"])
        }
        afterDrain()
        loop.stop()
    }
}
