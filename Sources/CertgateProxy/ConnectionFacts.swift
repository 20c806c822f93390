import CertgateIdentity

/// What a connection notes for its access log line, beyond what its TLS session knows.
struct ConnectionFacts {
    /// The client's address, looked up at the start (a reset connection no longer has one at its close);
    /// only when the access log is on.
    var peer: ProxiedEndpoint?
    /// Plaintext read from the client, and written to it.
    var bytesFromClient = 0
    var bytesToClient = 0
    /// Seconds the upstream connect took, once it succeeded.
    var upstreamConnect: Double?
    var handshakeCompleted = false
    /// `--forward-headers`: request lines written so far (the next one's number is one more).
    var requestsLogged = 0
    /// The verified client certificate's subject, read once for all the lines of the connection.
    var clientSubject: String?
}
