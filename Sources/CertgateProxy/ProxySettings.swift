import CertgateIdentity
import CertgatePosix
import CertgateTLS

/// What every worker needs to serve connections; immutable and shared. A configuration reload publishes
/// new settings (`ProxyServer.publish(_:)`): connections accepted from then on use them, connections
/// already open keep the ones they were accepted with.
public struct ProxySettings: Sendable, Equatable {
    /// Resolved at start-up and when a configuration reload changes `--upstream`; connects never hit DNS.
    public var upstream: ResolvedAddress
    /// Every address of `--upstream` (`upstream` first); new connections rotate through them and a failed
    /// connect moves on to the next. Re-resolved every `--upstream-resolve-interval` off the workers.
    public var upstreamAddresses: [ResolvedAddress]
    public var connectTimeout: Duration
    public var handshakeTimeout: Duration
    public var context: TLSServerContext
    /// Size of the scratch and pooled buffers: two TLS records' worth of plaintext, so one upstream read
    /// feeds two full records (half the `read` calls per MiB of a 16 KiB buffer). Idle connections hold
    /// no buffer; a stalled direction parks one.
    public var bufferSize: Int = 32 * 1024
    /// Free buffers each worker keeps for reuse (128 × 32 KiB: at most 4 MiB kept per worker).
    public var pooledBuffersPerWorker: Int = 128
    /// A PROXY protocol header sent to the upstream before the client's bytes (`--proxy-protocol`).
    public var proxyProtocol: ProxyProtocolVersion = .off
    /// `--forward-headers`: HTTP/1.x requests are parsed and get X-Forwarded-* fields; certgate answers
    /// refused requests and an unreachable upstream itself.
    public var forwardHeaders = false
    /// The largest request head (request line and fields) accepted with `--forward-headers`.
    public var maximumRequestHead = 32 * 1024
    /// How long a refused request waits for the upstream to finish the responses to the requests before
    /// it, and how long certgate keeps reading after its own response before closing.
    public var responseGrace: Duration = .seconds(5)
    /// `--idle-timeout`: a proxying connection with no bytes moving either way for this long is closed;
    /// `nil` when off.
    public var idleTimeout: Duration? = .seconds(300)
    /// `--tcp-keepalive`: SO_KEEPALIVE on the client and upstream sockets.
    public var tcpKeepalive = true
    /// `h2` in `--alpn` with `--upstream-protocol http1`: connections that agree on h2 are terminated
    /// (`HTTP2ProxyConnection`) and their requests go to the upstream as HTTP/1.1.
    public var terminatesHTTP2 = false

    public init(
        upstream: ResolvedAddress, connectTimeout: Duration, handshakeTimeout: Duration,
        context: TLSServerContext
    ) {
        self.upstream = upstream
        self.upstreamAddresses = [upstream]
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.context = context
    }

    /// Equal when every setting is, and the TLS context is the same object.
    public static func == (lhs: ProxySettings, rhs: ProxySettings) -> Bool {
        lhs.upstream == rhs.upstream && lhs.upstreamAddresses == rhs.upstreamAddresses
            && lhs.connectTimeout == rhs.connectTimeout
            && lhs.handshakeTimeout == rhs.handshakeTimeout && lhs.context === rhs.context
            && lhs.bufferSize == rhs.bufferSize && lhs.pooledBuffersPerWorker == rhs.pooledBuffersPerWorker
            && lhs.proxyProtocol == rhs.proxyProtocol && lhs.forwardHeaders == rhs.forwardHeaders
            && lhs.maximumRequestHead == rhs.maximumRequestHead && lhs.responseGrace == rhs.responseGrace
            && lhs.idleTimeout == rhs.idleTimeout && lhs.tcpKeepalive == rhs.tcpKeepalive
            && lhs.terminatesHTTP2 == rhs.terminatesHTTP2
    }
}
