import CertgateTLS
import Glibc

/// A non-blocking socket pair with the server's `TLSConnection` (the production fd-based initializer) on
/// one end; a `TLSTestClient` or raw bytes go on the other. Both sides are stepped alternately on the
/// test's thread, so a handshake needs no event loop, no thread and no sleep.
final class TLSPair {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// How a handshake ended on both sides.
    struct Outcome {
        /// The server's last result: `.done(0)`, `.closed` or `.failed`, or a `want` when it never finished.
        let server: TLSResult
        let client: TLSTestClient.Step
        /// The server's classification of its failure (`TLSConnection.failureReason`), when it failed.
        let reason: HandshakeFailureReason?

        var succeeded: Bool { server == .done(0) && client == .done }
    }

    let server: TLSConnection
    /// The client's end of the pair.
    let clientFD: Int32
    private let serverFD: Int32

    init(context: TLSServerContext, resolver: any CertificateResolver) throws {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        serverFD = fds[0]
        clientFD = fds[1]
        do {
            server = try TLSConnection(context: context, fd: serverFD, resolver: resolver)
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
    }

    deinit {
        close(serverFD)
        close(clientFD)
    }

    /// A fresh pair and client (on `options`) and the outcome of their handshake.
    static func connect(
        _ context: TLSServerContext, _ resolver: any CertificateResolver,
        _ options: TLSTestClient.Options = TLSTestClient.Options()
    )
        throws -> (pair: TLSPair, client: TLSTestClient, outcome: Outcome)
    {
        let pair = try TLSPair(context: context, resolver: resolver)
        let client = try TLSTestClient(fd: pair.clientFD, options)
        return (pair, client, pair.handshake(client))
    }

    /// Steps `client` and the server until both have finished (done or failed) or neither can move.
    /// 64 rounds are far more than any handshake here needs (a full TLS 1.2 one takes four).
    func handshake(_ client: TLSTestClient) -> Outcome {
        var clientStep = TLSTestClient.Step.pending
        var serverResult = TLSResult.wantRead
        for _ in 0..<64 {
            if clientStep == .pending { clientStep = client.handshakeStep() }
            if !Self.finished(serverResult) { serverResult = server.handshake() }
            if clientStep != .pending && Self.finished(serverResult) { break }
        }
        return outcome(serverResult, clientStep)
    }

    /// Sends `bytes` from the client's end as they are (not TLS), then runs the server's handshake.
    func serverHandshake(receiving bytes: [UInt8]) -> Outcome {
        let written = bytes.withUnsafeBytes { Glibc.write(clientFD, $0.baseAddress, $0.count) }
        precondition(written == bytes.count, "the socket buffer takes a few bytes")
        return serverHandshakeOnly()
    }

    /// Runs the server's handshake alone (the client's end was written to or shut down by the test).
    func serverHandshakeOnly() -> Outcome {
        var serverResult = TLSResult.wantRead
        for _ in 0..<8 where !Self.finished(serverResult) {
            serverResult = server.handshake()
        }
        return outcome(serverResult, .pending)
    }

    /// Reads what the server's TLS connection has for it, until it would block or the client closed.
    func serverRead() -> (bytes: [UInt8], last: TLSResult) {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let result = buffer.withUnsafeMutableBytes { server.read(into: $0.baseAddress!, count: $0.count) }
            guard case .done(let count) = result else { return (collected, result) }
            collected += buffer[..<count]
        }
    }

    private func outcome(_ server: TLSResult, _ client: TLSTestClient.Step) -> Outcome {
        var reason: HandshakeFailureReason?
        if case .failed(let failure) = server { reason = self.server.failureReason(failure) }
        return Outcome(server: server, client: client, reason: reason)
    }

    private static func finished(_ result: TLSResult) -> Bool {
        switch result {
        case .wantRead, .wantWrite: return false
        case .done, .closed, .failed: return true
        }
    }
}
