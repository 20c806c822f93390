import CertgateConfig
import CertgateMetrics
import CertgatePosix
import CertgateProxy
import Glibc
import LibEV
import Logging

/// Resolves an `--upstream` host name again every `--upstream-resolve-interval`. Control thread only.
///
/// `getaddrinfo` blocks (and can hang on a dead DNS server), so it never runs on a worker nor on the
/// control loop: each due attempt runs on a short-lived thread of its own ("cg-resolve"), which posts the
/// result to the control loop and ends. At most one attempt is in flight: a hanging one delays the next,
/// nothing else. The control loop keeps the last good list (`UpstreamResolutionState`), counts the
/// result, logs changes of state only, and publishes a changed list (`publish`). A literal IP address
/// is never resolved again.
final class UpstreamResolver {
    private let loop: EventLoop
    private let metrics: UpstreamMetrics
    private let logger: Logger
    private var timer: TimerWatcher!
    private var endpoint: SocketEndpoint
    private var interval: Duration?
    private var state: UpstreamResolutionState
    private var inFlight: LoopThread?
    private var stopped = false
    /// Hands a new address list to the workers (through the configuration reloader, which owns the
    /// settings), for `endpoint`.
    var publish: (_ addresses: [ResolvedAddress], _ endpoint: SocketEndpoint) -> Void = { _, _ in }

    init(
        loop: EventLoop, endpoint: SocketEndpoint, interval: Duration?, addresses: [ResolvedAddress],
        metrics: UpstreamMetrics, logger: Logger
    ) {
        self.loop = loop
        self.endpoint = endpoint
        self.interval = interval
        self.state = UpstreamResolutionState(addresses: addresses)
        self.metrics = metrics
        self.logger = logger
        metrics.recordAddresses(addresses.count)
        timer = TimerWatcher(loop: loop) { [unowned self] in self.due() }
    }

    /// Whether `host` is a literal IPv4 or IPv6 address (nothing to resolve).
    static func isLiteral(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }

    func start() {
        arm()
    }

    func stop() {
        stopped = true
        timer.stop()
    }

    /// A configuration reload put `endpoint` and `interval` in force, with `addresses` (resolved by the
    /// reload when `--upstream` changed). An attempt in flight for another endpoint is ignored.
    func update(endpoint: SocketEndpoint, interval: Duration?, addresses: [ResolvedAddress]) {
        if endpoint != self.endpoint {
            self.endpoint = endpoint
            state = UpstreamResolutionState(addresses: addresses)
            metrics.recordAddresses(addresses.count)
        }
        if interval != self.interval {
            self.interval = interval
            arm()
        }
    }

    private func arm() {
        timer.stop()
        guard !stopped, let interval, !Self.isLiteral(endpoint.host) else { return }
        timer.start(after: interval, repeating: interval)
    }

    private func due() {
        guard inFlight == nil, !Self.isLiteral(endpoint.host) else { return }
        let target = endpoint
        let handle = loop.handle!
        let bound = LoopBound(self)
        do {
            inFlight = try LoopThread.spawn(name: "cg-resolve") {
                let result = Result { () throws(ResolveError) in
                    try ResolvedAddress.resolve(host: target.host, port: target.port)
                }
                handle.execute { bound.value.finished(result, for: target) }
            }
        } catch {
            logger.error("cannot start the upstream resolver thread", metadata: ["error": "\(error)"])
        }
    }

    private func finished(_ result: Result<[ResolvedAddress], ResolveError>, for target: SocketEndpoint) {
        inFlight?.join()
        inFlight = nil
        guard target == endpoint, !stopped else { return }
        let outcome = state.record(result)
        metrics.recordResolution(result: outcome.result)
        let list = state.addresses.map(\.description).joined(separator: ",")
        switch outcome.log {
        case .failing(let message):
            logger.warning(
                "upstream resolution failed; keeping the last good addresses",
                metadata: ["upstream": "\(target)", "error": "\(message)", "addresses": "\(list)"])
        case .recovered:
            logger.notice("upstream resolves again", metadata: ["upstream": "\(target)", "addresses": "\(list)"])
        case .changed:
            logger.notice("upstream addresses changed", metadata: ["upstream": "\(target)", "addresses": "\(list)"])
        case nil:
            break
        }
        if let addresses = outcome.publish {
            metrics.recordAddresses(addresses.count)
            publish(addresses, target)
        }
    }
}
