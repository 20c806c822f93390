/// What one access log line says about a client connection, or about one request of it
/// (`--forward-headers`). Filled by the worker from what the connection already knows at its close (or
/// at the end of a response); rendered by `AccessLogLine`.
///
/// Never a secret: no header values, no query strings, no cookies, no key material. The client
/// certificate's subject is public (it is sent in clear in TLS 1.2 and to every server it is shown to).
public struct AccessLogRecord: Sendable, Equatable {
    /// One request of a `--forward-headers` connection.
    public struct Request: Sendable, Equatable {
        /// 1 for the first request of the connection.
        public var number: Int
        /// `nil` for a request certgate refused (it may not even have a method).
        public var method: String?
        /// The request target without its query string (`/search`, not `/search?q=...`): queries often
        /// carry tokens. An absolute-form target keeps its scheme and authority.
        public var path: String?
        /// The upstream's status code, or certgate's own for a refused request; `nil` when the connection
        /// ended before a response.
        public var status: Int?
        /// The request head as received (request line and fields), in bytes.
        public var headBytes: Int?

        public init(number: Int, method: String?, path: String?, status: Int?, headBytes: Int?) {
            self.number = number
            self.method = method
            self.path = path
            self.status = status
            self.headBytes = headBytes
        }
    }

    /// When the line was written (the close, or the end of the response).
    public var time: LogTimestamp
    /// The process-wide connection id (also in the debug log lines as `conn`).
    public var connection: UInt64
    /// The client's address (IPv4-mapped addresses as plain IPv4) and port; `nil` when unknown.
    public var clientAddress: String?
    public var clientPort: Int?
    /// The SNI name as sent, if any.
    public var serverName: String?
    /// The name of the certificate served (its source: `NAME` of `NAME.pem`), if the handshake got that far.
    public var certificate: String?
    /// `TLSv1.3`, `TLSv1.2`; `nil` when the handshake did not complete.
    public var tlsVersion: String?
    public var cipher: String?
    /// Whether the handshake resumed a session (`nil` when it did not complete).
    public var resumed: Bool?
    /// The ALPN protocol agreed, if any.
    public var alpn: String?
    /// The verified client certificate's subject (RFC 2253); `nil` without one.
    public var clientSubject: String?
    /// Plaintext bytes from the client and to the client over the whole connection (`nil` on request
    /// lines: the connection's line at its close has the totals).
    public var bytesFromClient: Int?
    public var bytesToClient: Int?
    /// Accept to close (or, per request, from the request's head to the end of its response), in seconds;
    /// `nil` for a request certgate refused.
    public var duration: Double?
    /// How long the upstream connect took, in seconds; `nil` when there was none (or it failed).
    public var upstreamConnect: Double?
    /// The `reason` of `certgate_connections_closed_total` (`client_close`, `error`, ...); per request, the
    /// close reason of the connection only on its last request line (else `nil`).
    public var closeReason: String?
    /// What `error` means: the handshake failure reason (`certgate_handshake_failures_total`) or the
    /// abort (`client_read_failed`, ...); `nil` otherwise.
    public var closeDetail: String?
    public var request: Request?

    public init(
        time: LogTimestamp, connection: UInt64, bytesFromClient: Int? = nil, bytesToClient: Int? = nil,
        duration: Double? = nil
    ) {
        self.time = time
        self.connection = connection
        self.bytesFromClient = bytesFromClient
        self.bytesToClient = bytesToClient
        self.duration = duration
    }
}
