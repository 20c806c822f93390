/// One-shot actions a `ConnectionTransfer` owes before its running task goes on: socket and TLS steps
/// without a result worth a decision (or, for close_notify, one handled on its own), done in the order
/// they must happen on the wire: the upstream's end before the client's, close_notify before the FIN.
struct ConnectionChores: OptionSet {
    let rawValue: UInt8

    /// Close the upstream socket: certgate answers the client itself.
    static let dropUpstream = ConnectionChores(rawValue: 1 << 0)
    /// Create the `--forward-headers` rewriter.
    static let startRewriting = ConnectionChores(rawValue: 1 << 1)
    static let shutdownUpstream = ConnectionChores(rawValue: 1 << 2)
    static let closeNotify = ConnectionChores(rawValue: 1 << 3)
    /// The client's FIN, after its close_notify.
    static let shutdownClient = ConnectionChores(rawValue: 1 << 4)

    /// Removes the first chore due and returns its action; nil when none is.
    mutating func takeFirst() -> ConnectionAction? {
        guard !isEmpty else { return nil }
        if remove(.dropUpstream) != nil { return .dropUpstream }
        if remove(.startRewriting) != nil { return .startRewriting }
        if remove(.shutdownUpstream) != nil { return .shutdownUpstream }
        if remove(.closeNotify) != nil { return .sendCloseNotify }
        if remove(.shutdownClient) != nil { return .shutdownClient }
        return nil
    }
}
