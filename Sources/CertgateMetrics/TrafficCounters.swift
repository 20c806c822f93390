import Synchronization

/// Byte (and forwarded request) counts of one worker, written only by that worker's thread (uncontended relaxed atomic adds,
/// no shared cache line between workers) and summed into `certgate_bytes_total` when `/metrics` is
/// scraped. Exact: every byte delivered is counted once, whether or not the connection has closed.
public final class TrafficCounters: Sendable {
    /// Plaintext bytes written to the upstream.
    public let clientToUpstream = Atomic<Int>(0)
    /// Plaintext bytes handed to TLS for the client.
    public let upstreamToClient = Atomic<Int>(0)

    /// Requests forwarded with rewritten headers (`--forward-headers`).
    public let forwardedRequests = Atomic<Int>(0)

    public init() {}

    @inline(__always)
    public func addClientToUpstream(_ count: Int) {
        clientToUpstream.wrappingAdd(count, ordering: .relaxed)
    }

    @inline(__always)
    public func addForwardedRequests(_ count: Int) {
        forwardedRequests.wrappingAdd(count, ordering: .relaxed)
    }

    @inline(__always)
    public func addUpstreamToClient(_ count: Int) {
        upstreamToClient.wrappingAdd(count, ordering: .relaxed)
    }
}
