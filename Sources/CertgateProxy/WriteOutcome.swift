import LibEV

/// What `ProxyConnection`'s one write path did with the bytes of a `.write` action.
enum WriteOutcome: Equatable {
    /// The sink took every byte.
    case complete
    /// The sink took `written` bytes and would block. Fresh bytes: the rest (one buffer's worth at most)
    /// was copied into a pooled buffer, `parked`, for the direction to keep. Bytes that were parked
    /// already: `parked` is nil, they stay where they are. `waitsFor`: what the sink waits for (TLS may
    /// need the socket readable before it can write again).
    case blocked(written: Int, parked: PendingBytes?, waitsFor: IOEvents)
    /// The sink is gone; the connection is aborted for this reason.
    case failed(CloseCause)
}
