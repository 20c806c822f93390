/// Bounds on what the admin listener spends on any client. Every connection is bounded in time and size, and
/// the number of connections is bounded, so a misbehaving client can cost the control loop little.
public struct AdminServerOptions: Sendable, Equatable {
    /// Time a client has, from accept, to send one complete request (slowloris protection). A client that
    /// sent part of a request then gets a 408; one that sent nothing is closed silently, like a TCP probe.
    public var requestTimeout: Duration
    /// Time the client has to take the whole response once it is ready.
    public var responseTimeout: Duration
    /// After the response, the server half-closes and keeps reading (and discarding) for at most this long
    /// before closing. Closing a socket with unread input makes the kernel send a reset, which can destroy
    /// the response before the client reads it (e.g. the 431 after a too-large head).
    public var lingerTimeout: Duration
    /// Connections open at once; further ones are accepted and closed at once.
    public var maxConnections: Int
    public var limits: AdminRequestParser.Limits
    public var backlog: Int32

    public init(
        requestTimeout: Duration = .seconds(5),
        responseTimeout: Duration = .seconds(5),
        lingerTimeout: Duration = .seconds(2),
        maxConnections: Int = 64,
        limits: AdminRequestParser.Limits = .init(),
        backlog: Int32 = 128
    ) {
        self.requestTimeout = requestTimeout
        self.responseTimeout = responseTimeout
        self.lingerTimeout = lingerTimeout
        self.maxConnections = maxConnections
        self.limits = limits
        self.backlog = backlog
    }
}
