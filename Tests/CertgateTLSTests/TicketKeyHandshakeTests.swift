import COpenSSL
import CertgateCertificates
import Testing

@testable import CertgateTLS

/// Tickets issued by one context resume on another context (another process, in production) that holds
/// the same keys, under TLS 1.2 and 1.3; a ticket whose key is gone gives a full handshake, not an error.
@Suite("Session ticket keys shared between contexts")
struct TicketKeyHandshakeTests {
    private let fixture: TLSFixture
    private let first: TicketKey
    private let second: TicketKey

    init() throws {
        fixture = try TLSFixture.get()
        first = try #require(TicketKey(bytes: TicketKeyFileTests.keyBytes(1)))
        second = try #require(TicketKey(bytes: TicketKeyFileTests.keyBytes(200)))
    }

    private func options(_ version: Int32, session: TLSTestSession? = nil) -> TLSTestClient.Options {
        var options = TLSTestClient.Options()
        options.serverName = "alpha.example.com"
        options.maximumVersion = version
        options.session = session
        return options
    }

    /// A full handshake on `context`, closed cleanly, and the ticket-bearing session it left.
    private func establish(_ context: TLSServerContext, _ version: Int32, _ snapshot: CertificateSnapshot) throws
        -> TLSTestSession
    {
        let (pair, client, outcome) = try TLSPair.connect(context, snapshot, options(version))
        try #require(outcome.succeeded, "\(outcome)")
        #expect(!client.sessionReused)
        _ = client.readAvailable()
        let session = try #require(client.resumableSession())
        client.sendCloseNotify()
        _ = pair.serverRead()
        _ = pair.server.sendCloseNotify()
        return session
    }

    private func resumes(
        _ context: TLSServerContext, _ version: Int32, _ snapshot: CertificateSnapshot, _ session: TLSTestSession
    ) throws -> Bool {
        let (pair, client, outcome) = try TLSPair.connect(context, snapshot, options(version, session: session))
        #expect(outcome.succeeded, "a ticket that cannot be used still gives a full handshake: \(outcome)")
        // A clean close: OpenSSL makes the session of a connection freed without close_notify unresumable.
        _ = client.readAvailable()
        client.sendCloseNotify()
        _ = pair.serverRead()
        _ = pair.server.sendCloseNotify()
        return client.sessionReused
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func aTicketFromOneContextResumesOnAnotherWithTheSameKeys(version: Int32) throws {
        let snapshot = try fixture.snapshot()
        let ringA = TicketKeyRing(TicketKeySet([first]))
        let ringB = TicketKeyRing(TicketKeySet([first]))
        let contextA = try TLSServerContext(settings: TLSSettings(), ticketKeys: ringA)
        let contextB = try TLSServerContext(settings: TLSSettings(), ticketKeys: ringB)
        let session = try establish(contextA, version, snapshot)
        #expect(try resumes(contextB, version, snapshot, session))

        // A rotation on B: a new key on top, the old one second. The old ticket still resumes.
        ringB.publish(TicketKeySet([second, first]))
        #expect(try resumes(contextB, version, snapshot, session))

        // The old key dropped: a full handshake, no error.
        ringB.publish(TicketKeySet([second]))
        #expect(try !resumes(contextB, version, snapshot, session))
        // A context with unrelated keys never resumes it either.
        let other = try TLSServerContext(settings: TLSSettings(), ticketKeys: TicketKeyRing(TicketKeySet([second])))
        #expect(try !resumes(other, version, snapshot, session))
        // A's own ring is untouched: still resumes there.
        #expect(try resumes(contextA, version, snapshot, session))
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func ticketsOffMeansNoTicketAcrossContexts(version: Int32) throws {
        let snapshot = try fixture.snapshot()
        let ring = TicketKeyRing(TicketKeySet([first]))
        let off = try TLSServerContext(settings: TLSSettings(tickets: false), ticketKeys: ring)
        #expect(off.ticketKeys == nil)
        let (pair, client, outcome) = try TLSPair.connect(off, snapshot, options(version))
        try #require(outcome.succeeded, "\(outcome)")
        _ = client.readAvailable()
        let session = client.resumableSession()
        client.sendCloseNotify()
        _ = pair.serverRead()
        _ = pair.server.sendCloseNotify()
        // Whatever session the client kept cannot resume on another context, even with the keys.
        if let session {
            let other = try TLSServerContext(settings: TLSSettings(), ticketKeys: ring)
            #expect(try !resumes(other, version, snapshot, session))
        }
    }
}
