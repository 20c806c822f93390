import COpenSSL
import CertgateCertificates
import CertgateTLS
import Testing

/// TLS session resumption never crosses client-certificate policies nor server names: the ClientHello
/// callback sets a session id context made of the chosen policy's and the SNI name before OpenSSL looks for
/// a session, and OpenSSL only resumes a session (1.2 session id or ticket, 1.3 ticket) whose context
/// matches. The same name under the same policy does resume.
@Suite("TLS session resumption and client policies")
struct SessionResumptionTests {
    enum Mode: String, CaseIterable, Sendable, CustomStringConvertible {
        case tls13Ticket
        case tls12Ticket
        case tls12SessionID

        var description: String { rawValue }
    }

    private let fixture: TLSFixture
    private let context: TLSServerContext

    init() throws {
        fixture = try TLSFixture.get()
        // As certgate runs: tickets protected by the process's ticket key ring (random or --ticket-keys).
        let key = try #require(TicketKey.random())
        context = try TLSServerContext(settings: TLSSettings(), ticketKeys: TicketKeyRing(TicketKeySet([key])))
    }

    private func options(_ mode: Mode, _ name: String, certificate: Bool, session: TLSTestSession? = nil)
        -> TLSTestClient.Options
    {
        var options = TLSTestClient.Options()
        options.serverName = name
        options.maximumVersion = mode == .tls13Ticket ? TLS1_3_VERSION : TLS1_2_VERSION
        options.noTicket = mode == .tls12SessionID
        options.identity = certificate ? fixture.client : nil
        options.session = session
        return options
    }

    /// A full handshake for `name`, closed cleanly, and the resumable session it left the client with.
    ///
    /// Clean means close_notify both ways: OpenSSL takes a connection freed without having sent one for a
    /// failed one and makes its session unresumable (on both sides).
    private func establish(_ mode: Mode, _ snapshot: CertificateSnapshot, _ name: String, certificate: Bool)
        throws -> TLSTestSession
    {
        let (pair, client, outcome) = try TLSPair.connect(
            context, snapshot,
            options(mode, name, certificate: certificate))
        try #require(outcome.succeeded, "first handshake for \(name): \(outcome)")
        #expect(!client.sessionReused)
        _ = client.readAvailable() // the TLS 1.3 tickets come after the handshake
        let session = try #require(client.resumableSession(), "\(mode) leaves a resumable session")
        client.sendCloseNotify()
        #expect(pair.serverRead().last == .closed)
        #expect(pair.server.sendCloseNotify() == .done(0))
        return session
    }

    private func resume(
        _ mode: Mode, _ snapshot: CertificateSnapshot, _ name: String, certificate: Bool,
        _ session: TLSTestSession
    ) throws -> (
        pair: TLSPair, client: TLSTestClient,
        outcome: TLSPair.Outcome
    ) {
        try TLSPair.connect(context, snapshot, options(mode, name, certificate: certificate, session: session))
    }

    /// Checks that `session` resumes for `name` (under the policy it was established with). After a
    /// refusal elsewhere this shows the refusal was the policy's doing, not a broken session.
    private func expectResumes(
        _ mode: Mode, _ snapshot: CertificateSnapshot, _ name: String,
        certificate: Bool, _ session: TLSTestSession
    ) throws {
        let control = try resume(mode, snapshot, name, certificate: certificate, session)
        #expect(control.outcome.succeeded, "\(control.outcome)")
        #expect(control.client.sessionReused, "the session resumes for \(name), under its own policy")
    }

    /// `exact` and `alpha` ask for no client certificate; `wild` requires one from Test CA.
    private func noneAndRequire() throws -> CertificateSnapshot {
        try fixture.snapshot(ClientTrustTable(global: nil, overrides: ["wild": fixture.trust(identity: "wild")]))
    }

    @Test(arguments: Mode.allCases)
    func aSessionResumesOnlyForTheNameItWasMadeFor(mode: Mode) throws {
        let snapshot = try noneAndRequire()
        // exact and alpha: two certificates under the same policy (client-auth none).
        let exact = try establish(mode, snapshot, "exact.example.com", certificate: false)
        let alpha = try resume(mode, snapshot, "alpha.example.com", certificate: false, exact)
        #expect(alpha.outcome.succeeded, "\(alpha.outcome)")
        #expect(!alpha.client.sessionReused, "RFC 6066: never resumed under another name")
        try expectResumes(mode, snapshot, "Exact.Example.COM.", certificate: false, exact)

        // x and y: one wildcard certificate, one policy, two names.
        let x = try establish(mode, snapshot, "x.example.com", certificate: true)
        let y = try resume(mode, snapshot, "y.example.com", certificate: true, x)
        #expect(y.outcome.succeeded, "\(y.outcome)")
        #expect(!y.client.sessionReused, "not even with the same certificate")
        #expect(y.pair.server.verifiedClientCertificate?.commonName == "client", "the full handshake verified again")
        let again = try resume(mode, snapshot, "x.example.com", certificate: true, x)
        #expect(again.client.sessionReused)
        // The resumed session still carries the verified client certificate.
        #expect(again.pair.server.hasVerifiedClientCertificate)
        #expect(again.pair.server.verifiedClientCertificate?.commonName == "client")

        // Two unknown names, both served the default certificate: still two names.
        let unknown = try establish(mode, snapshot, "unknown.test", certificate: false)
        let other = try resume(mode, snapshot, "other.test", certificate: false, unknown)
        #expect(other.outcome.succeeded && !other.client.sessionReused, "\(other.outcome)")
        try expectResumes(mode, snapshot, "unknown.test", certificate: false, unknown)
    }

    @Test(arguments: Mode.allCases)
    func aSessionWithoutClientCertificateIsNotResumedWhereOneIsRequired(mode: Mode) throws {
        // The same name before and after its certificate's policy changed from none to require.
        let before = try fixture.snapshot(ClientTrustTable())
        let none = try establish(mode, before, "x.example.com", certificate: false)
        let crossing = try resume(mode, noneAndRequire(), "x.example.com", certificate: false, none)
        // Resuming would let the client in without a certificate: a full handshake asks for one instead.
        #expect(!crossing.client.sessionReused)
        #expect(crossing.outcome.reason == .clientCertMissing, "\(crossing.outcome)")
        #expect(!crossing.pair.server.hasVerifiedClientCertificate)
        try expectResumes(mode, before, "x.example.com", certificate: false, none)
    }

    @Test(arguments: Mode.allCases)
    func aSessionWithAClientCertificateIsNotResumedUnderAnotherPolicy(mode: Mode) throws {
        let snapshot = try noneAndRequire()
        let required = try establish(mode, snapshot, "x.example.com", certificate: true)
        let toNone = try resume(
            mode, fixture.snapshot(ClientTrustTable()), "x.example.com", certificate: true, required)
        #expect(toNone.outcome.succeeded, "\(toNone.outcome)")
        #expect(!toNone.client.sessionReused)
        #expect(!toNone.pair.server.hasVerifiedClientCertificate, "no client identity leaks into a none policy")
        try expectResumes(mode, snapshot, "x.example.com", certificate: true, required)

        // Two policies over the same CA that differ only in their identity (e.g. their allow-lists).
        let a = try fixture.trust(identity: "policy-a")
        let b = try fixture.trust(identity: "policy-b")
        let underA = try fixture.snapshot(ClientTrustTable(global: a))
        let fromA = try establish(mode, underA, "alpha.example.com", certificate: true)
        let underB = try resume(
            mode, fixture.snapshot(ClientTrustTable(global: b)), "alpha.example.com",
            certificate: true, fromA)
        #expect(underB.outcome.succeeded, "\(underB.outcome)")
        #expect(!underB.client.sessionReused, "policy-a's session is not resumed under policy-b")
        #expect(underB.pair.server.clientTrust === b)
        try expectResumes(mode, underA, "alpha.example.com", certificate: true, fromA)
    }

    @Test(arguments: Mode.allCases)
    func aClientCAChangeEndsResumptionAndAnIdenticalRebuildKeepsIt(mode: Mode) throws {
        let before = try fixture.snapshot(ClientTrustTable(global: fixture.trust(identity: "global")))
        let session = try establish(mode, before, "alpha.example.com", certificate: true)

        // The same policy and CAs, rebuilt (as a reload that changed nothing would): still resumed.
        let rebuilt = CertificateSnapshot(
            before,
            clientTrusts: ClientTrustTable(
                global: try fixture.trust(
                    identity: "global")))
        let same = try resume(mode, rebuilt, "alpha.example.com", certificate: true, session)
        #expect(same.outcome.succeeded, "\(same.outcome)")
        #expect(same.client.sessionReused)

        // A second CA joined the pool: the client is verified again.
        let rotated = CertificateSnapshot(
            before,
            clientTrusts: ClientTrustTable(
                global: try fixture.trust(
                    identity: "global", caBundles: [fixture.caPEM, fixture.otherCAPEM])))
        let fresh = try resume(mode, rotated, "alpha.example.com", certificate: true, session)
        #expect(fresh.outcome.succeeded, "\(fresh.outcome)")
        #expect(!fresh.client.sessionReused)
        #expect(fresh.pair.server.verifiedClientCertificate?.commonName == "client")
    }
}
