import COpenSSL
import CertgateCertificates
import CertgateTLS
import Testing

/// Which certificate a real handshake serves for the client's SNI name: chosen in the ClientHello
/// callback from the connection's snapshot, checked on the client side from the peer certificate.
@Suite("TLS handshake: certificate by SNI")
struct ServerNameHandshakeTests {
    private func served(_ name: String?, maximumVersion: Int32 = TLS1_3_VERSION)
        throws -> (commonName: String?, dnsNames: [String], pair: TLSPair)
    {
        let fixture = try TLSFixture.get()
        let snapshot = try fixture.snapshot()
        let context = try TLSServerContext(settings: TLSSettings())
        var options = TLSTestClient.Options()
        options.serverName = name
        options.maximumVersion = maximumVersion
        let (pair, client, outcome) = try TLSPair.connect(context, snapshot, options)
        #expect(outcome.succeeded, "handshake for \(name ?? "<no SNI>"): \(outcome)")
        let peer = try #require(client.peerCertificateNames)
        // The server's view agrees with what the client received.
        #expect(pair.server.selectedCertificate === snapshot.certificate(forServerName: name))
        #expect(pair.server.selectedCertificate?.leaf.dnsNames == peer.dnsNames)
        return (peer.commonName, peer.dnsNames, pair)
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func anExactNameGetsItsOwnCertificate(version: Int32) throws {
        let served = try served("exact.example.com", maximumVersion: version)
        #expect(served.commonName == "exact")
        #expect(served.dnsNames == ["exact.example.com"])
        #expect(served.pair.server.serverName == "exact.example.com")
        #expect(served.pair.server.protocolVersion == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"))
    }

    @Test func namesMatchWithoutRegardToCase() throws {
        let served = try served("Exact.EXAMPLE.com")
        #expect(served.dnsNames == ["exact.example.com"])
    }

    @Test func aWildcardCoversExactlyOneLabel() throws {
        #expect(try served("x.example.com").dnsNames == ["*.example.com"])
        #expect(try served("other.example.com").commonName == "wild")
        // Two labels below the wildcard: no match, so the default certificate.
        #expect(try served("a.b.example.com").dnsNames == ["alpha.example.com"])
    }

    @Test func noServerNameGetsTheDefaultCertificate() throws {
        let served = try served(nil)
        #expect(served.commonName == "alpha")
        #expect(served.pair.server.serverName == nil)
    }

    @Test func anUnknownNameGetsTheDefaultCertificate() throws {
        let served = try served("unknown.test")
        #expect(served.dnsNames == ["alpha.example.com"])
        #expect(served.pair.server.serverName == "unknown.test")
    }

    @Test func noCertificateAtAllFailsTheHandshakeAsInternal() throws {
        let context = try TLSServerContext(settings: TLSSettings())
        var options = TLSTestClient.Options()
        options.serverName = "exact.example.com"
        let (pair, _, outcome) = try TLSPair.connect(context, NoCertificates(), options)
        #expect(outcome.reason == .internal, "\(outcome)")
        if case .failed = outcome.client {} else { Issue.record("the client must see the alert: \(outcome.client)") }
        #expect(pair.server.selectedCertificate == nil)
    }
}

/// A resolver with nothing to serve (a snapshot never is empty; the callback must still fail cleanly).
private final class NoCertificates: CertificateResolver {
    func selection(forServerName serverName: String?) -> CertificateSelection? { nil }
}
