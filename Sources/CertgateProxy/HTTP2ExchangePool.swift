import CertgateHTTP2

/// A worker's spare `HTTP2Exchange`s: when a stream closes, its exchange (the object, its response body
/// and its buffers) is kept and serves a later stream of any of the worker's HTTP/2 connections, so a
/// request allocates none of them. At most `capacity` are kept (a burst of streams leaves no more than
/// that behind). Exchanges of a connection that closes with streams still open are not kept.
///
/// Loop-confined, like its worker.
final class HTTP2ExchangePool {
    let capacity: Int
    private var spares: [HTTP2Exchange] = []

    init(capacity: Int = 64) {
        self.capacity = capacity
        spares.reserveCapacity(capacity)
    }

    /// An exchange for a new stream: a spare one started afresh, or a new one.
    func take(stream: Int32, request: HTTP2Request, connection: HTTP2ProxyConnection) -> HTTP2Exchange {
        guard let exchange = spares.popLast() else {
            return HTTP2Exchange(stream: stream, request: request, connection: connection)
        }
        exchange.start(stream: stream, request: request, connection: connection)
        return exchange
    }

    /// Keeps an exchange whose stream has closed and that nothing refers to any more (abandoned: no
    /// upstream connection, not waiting for one).
    func keep(_ exchange: HTTP2Exchange) {
        guard spares.count < capacity else { return }
        spares.append(exchange)
    }
}
