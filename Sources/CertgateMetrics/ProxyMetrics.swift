import Prometheus
import Synchronization

/// Every metric certgate exports, created once at start-up and shared by all threads.
///
/// Handles are created here and nowhere else: the data path only calls `increment`/`decrement` on a
/// handle it already holds (one relaxed atomic operation), never looks a metric up by name, and never
/// creates a label combination per connection. Label values are fixed by the code or the configuration,
/// never taken from client input.
public final class ProxyMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    private let connectionsActive: Gauge
    public let connectionsTotal: Counter
    public let handshakeSuccesses: Counter
    /// By `HandshakeFailureReason` raw value; every reason exists from start-up.
    private let handshakeFailuresByReason: [String: Counter]
    /// Accept to handshake completed, successful handshakes only.
    public let handshakeDuration: ValueHistogram
    /// Successful handshakes by protocol version.
    public let tls12Connections: Counter
    public let tls13Connections: Counter
    /// By reason: `refused`, `timeout`, `unreachable`, `no_descriptors`, `other`.
    private let upstreamConnectFailuresByReason: [String: Counter]
    /// From the start of the connect to the upstream to the connection being usable.
    public let upstreamConnectDuration: ValueHistogram
    /// Closed client connections by `ConnectionCloseReason`; every reason exists from start-up.
    private let closedByReason: [ConnectionCloseReason: Counter]
    /// Connections accepted and dropped at once because the process ran out of file descriptors.
    public let acceptShed: Counter
    /// `--access-log` lines lost: the writer was too far behind, or a write failed.
    public let accessLogDroppedLines: Counter
    /// The connection limit and accept pauses.
    public let listener: ListenerMetrics
    public let certificatesLoaded: Gauge
    /// Certificate reloads, expiry per certificate, watcher state.
    public let reload: ReloadMetrics
    /// Stapled OCSP responses: their nextUpdate and the results of checking response files.
    public let ocsp: OCSPMetrics
    /// `--forward-headers`: refused requests and certgate's own error responses.
    public let http: HTTPMetrics
    /// Configuration reloads.
    public let configuration: ConfigurationMetrics
    /// Session resumptions and ticket keys.
    public let tickets: TicketKeyMetrics
    public let upstream: UpstreamMetrics
    /// HTTP/2 termination: connections by protocol, requests, defences, the upstream pool.
    public let http2: HTTP2Metrics

    private let bytesClientToUpstream: Counter
    private let bytesUpstreamToClient: Counter
    private let process: ProcessMetrics
    /// Mirror of `connectionsActive` that can be read back (the gauge cannot).
    private let activeConnections = Atomic<Int>(0)
    /// Per-worker byte counters, and the totals already added to the exported counters.
    private let traffic = Mutex<(workers: [TrafficCounters], reported: (Int, Int, Int))>(([], (0, 0, 0)))

    /// The `reason` values of failed upstream connects.
    public static let upstreamFailureReasons = ["refused", "timeout", "unreachable", "no_descriptors", "other"]

    /// - Parameter handshakeFailureReasons: every `reason` label value of failed handshakes (the TLS
    ///   layer's classification), created at 0.
    /// - Parameter httpRejectionReasons: every `reason` label value of requests refused by the
    ///   `--forward-headers` parser, created at 0.
    public init(
        version: String, openSSLVersion: String, handshakeFailureReasons: [String],
        httpRejectionReasons: [String] = [], registry: PrometheusCollectorRegistry = .init()
    ) {
        self.registry = registry
        registry.makeGauge(
            descriptor: describe("certgate_build_info", "Build information; the value is always 1."),
            labels: [("version", version), ("openssl", openSSLVersion)]
        ).set(to: 1)
        connectionsActive = registry.makeGauge(
            descriptor: describe(
                "certgate_connections_active",
                "Client connections currently open (handshaking, connecting or proxying).")
        )
        connectionsTotal = registry.makeCounter(
            descriptor: describe("certgate_connections_total", "Client connections accepted.")
        )
        let handshakes = describe(
            "certgate_tls_handshakes_total", "TLS handshakes completed or failed; failures by reason.")
        handshakeSuccesses = registry.makeCounter(descriptor: handshakes, labels: [("result", "success")])
        var failures: [String: Counter] = [:]
        for reason in handshakeFailureReasons {
            failures[reason] = registry.makeCounter(
                descriptor: handshakes, labels: [("result", "failure"), ("reason", reason)])
        }
        handshakeFailuresByReason = failures
        handshakeDuration = registry.makeValueHistogram(
            descriptor: describe(
                "certgate_tls_handshake_duration_seconds",
                "Time from accepting a connection to its completed TLS handshake."),
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        )
        let versions = describe("certgate_tls_connections_total", "Successful TLS handshakes by protocol version.")
        tls12Connections = registry.makeCounter(descriptor: versions, labels: [("version", "TLSv1.2")])
        tls13Connections = registry.makeCounter(descriptor: versions, labels: [("version", "TLSv1.3")])
        let bytes = describe("certgate_bytes_total", "Plaintext bytes forwarded, by direction.")
        bytesClientToUpstream = registry.makeCounter(descriptor: bytes, labels: [("direction", "client_to_upstream")])
        bytesUpstreamToClient = registry.makeCounter(descriptor: bytes, labels: [("direction", "upstream_to_client")])
        let connectFailures = describe(
            "certgate_upstream_connect_failures_total",
            "Upstream connections that could not be established, by reason.")
        var upstream: [String: Counter] = [:]
        for reason in Self.upstreamFailureReasons {
            upstream[reason] = registry.makeCounter(descriptor: connectFailures, labels: [("reason", reason)])
        }
        upstreamConnectFailuresByReason = upstream
        upstreamConnectDuration = registry.makeValueHistogram(
            descriptor: describe(
                "certgate_upstream_connect_duration_seconds",
                "Time to establish a connection to the upstream (successful connects)."),
            buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
        )
        let closed = describe(
            "certgate_connections_closed_total",
            "Client connections closed, by reason: idle_timeout, handshake_timeout, client_close, "
                + "upstream_close, error, drain.")
        var closedByReason: [ConnectionCloseReason: Counter] = [:]
        for reason in ConnectionCloseReason.allCases {
            closedByReason[reason] = registry.makeCounter(descriptor: closed, labels: [("reason", reason.rawValue)])
        }
        self.closedByReason = closedByReason
        accessLogDroppedLines = registry.makeCounter(
            descriptor: describe(
                "certgate_access_log_dropped_lines_total",
                "Access log lines lost: the writer was more than its queue behind (a full pipe, a slow disk), "
                    + "or a write failed.")
        )
        acceptShed = registry.makeCounter(
            descriptor: describe(
                "certgate_connections_shed_total",
                "Connections closed right after accept because the process had no file descriptor left.")
        )
        listener = ListenerMetrics(registry: registry)
        certificatesLoaded = registry.makeGauge(
            descriptor: describe("certgate_certificates_loaded", "Certificates in the snapshot being served.")
        )
        reload = ReloadMetrics(registry: registry)
        ocsp = OCSPMetrics(registry: registry)
        http = HTTPMetrics(registry: registry, rejectionReasons: httpRejectionReasons)
        configuration = ConfigurationMetrics(registry: registry)
        tickets = TicketKeyMetrics(registry: registry)
        self.upstream = UpstreamMetrics(registry: registry)
        http2 = HTTP2Metrics(registry: registry)
        process = ProcessMetrics(registry: registry)
    }

    /// A connection was accepted / has closed.
    public func connectionOpened() {
        connectionsTotal.increment()
        connectionsActive.increment()
        activeConnections.wrappingAdd(1, ordering: .relaxed)
    }

    public func connectionClosed() {
        connectionsActive.decrement()
        activeConnections.wrappingSubtract(1, ordering: .relaxed)
    }

    /// The counter of connections closed for `reason`.
    public func connectionsClosed(_ reason: ConnectionCloseReason) -> Counter {
        closedByReason[reason]!
    }

    /// The current value of `certgate_connections_active`.
    public var connectionsActiveCount: Int {
        activeConnections.load(ordering: .relaxed)
    }

    /// The counter for a failed handshake; `reason` must be one given at init (anything else counts as
    /// `internal`, never as a new series).
    public func handshakeFailures(reason: String) -> Counter {
        handshakeFailuresByReason[reason] ?? handshakeFailuresByReason["internal"]!
    }

    /// The counter for a failed upstream connect (`reason` from `upstreamFailureReasons`, else `other`).
    public func upstreamConnectFailures(reason: String) -> Counter {
        upstreamConnectFailuresByReason[reason] ?? upstreamConnectFailuresByReason["other"]!
    }

    /// Byte counters for one more worker (each worker adds to its own, uncontended).
    public func makeTrafficCounters() -> TrafficCounters {
        let counters = TrafficCounters()
        traffic.withLock { $0.workers.append(counters) }
        return counters
    }

    /// Brings the scrape-time metrics up to date: byte totals from every worker, process metrics. On the
    /// control thread only, like `exposition()` (the process metrics are control-thread only).
    public func refresh() {
        traffic.withLock { state in
            var toUpstream = 0
            var toClient = 0
            var requests = 0
            for worker in state.workers {
                toUpstream &+= worker.clientToUpstream.load(ordering: .relaxed)
                toClient &+= worker.upstreamToClient.load(ordering: .relaxed)
                requests &+= worker.forwardedRequests.load(ordering: .relaxed)
            }
            if toUpstream > state.reported.0 {
                bytesClientToUpstream.increment(by: Int64(toUpstream - state.reported.0))
            }
            if toClient > state.reported.1 { bytesUpstreamToClient.increment(by: Int64(toClient - state.reported.1)) }
            if requests > state.reported.2 { http.requests.increment(by: Int64(requests - state.reported.2)) }
            state.reported = (
                max(toUpstream, state.reported.0), max(toClient, state.reported.1), max(requests, state.reported.2)
            )
        }
        process.update()
    }

    /// The Prometheus text exposition of every metric, brought up to date first.
    public func exposition() -> [UInt8] {
        refresh()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        return buffer
    }
}
