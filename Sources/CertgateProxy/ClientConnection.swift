/// What a worker holds for each accepted client: an HTTP/1.x or opaque `ProxyConnection`, or, once a
/// handshake agreed on h2 with `--upstream-protocol http1`, an `HTTP2ProxyConnection`.
protocol ClientConnection: AnyObject {
    var id: UInt64 { get }
    /// Closes at once, whatever the state (shutdown).
    func close()
    /// Finish what is in flight, accept no new work (HTTP/2: GOAWAY): the worker drains, or the client
    /// trust was reloaded.
    func drain()
}
