import COpenSSL
import CertgateCertificates
import CertgateTLS
import Testing

/// The client-certificate policy of the certificate chosen in the ClientHello callback, as a real client
/// sees it: whether a CertificateRequest comes, with which CA names, and what the server then knows about
/// the client certificate.
///
/// Policies: the global one requires a certificate from "Test CA" (applies to `alpha`, the default);
/// `wild` asks optionally for one from "ca2"; `exact` is `client-auth: none` although the global policy
/// requires.
@Suite("TLS handshake: per-certificate client policy")
struct ClientPolicyHandshakeTests {
    private struct Setup {
        let context: TLSServerContext
        let snapshot: CertificateSnapshot
        let global: ClientTrust
        let wild: ClientTrust
    }

    private func setup() throws -> Setup {
        let fixture = try TLSFixture.get()
        let global = try fixture.trust(.require, identity: "global")
        let wild = try fixture.trust(.optional, identity: "wild", caBundles: [fixture.otherCAPEM])
        let table = ClientTrustTable(global: global, overrides: ["wild": wild, "exact": nil])
        return Setup(
            context: try TLSServerContext(settings: TLSSettings()), snapshot: try fixture.snapshot(table),
            global: global, wild: wild)
    }

    private func options(_ name: String?, certificate: Bool, version: Int32) throws -> TLSTestClient.Options {
        var options = TLSTestClient.Options()
        options.serverName = name
        options.maximumVersion = version
        if certificate { options.identity = try TLSFixture.get().client }
        return options
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func aNoneCertificateSendsNoCertificateRequest(version: Int32) throws {
        let setup = try setup()
        let (pair, client, outcome) = try TLSPair.connect(
            setup.context, setup.snapshot, options("exact.example.com", certificate: true, version: version))
        #expect(outcome.succeeded, "\(outcome)")
        #expect(client.requestedCANames.isEmpty, "no CertificateRequest under client-auth none")
        #expect(pair.server.clientTrust == nil)
        #expect(!pair.server.clientCertificatePresented, "the client had one but was not asked for it")
        #expect(!pair.server.hasVerifiedClientCertificate)
        #expect(pair.server.verifiedClientCertificate == nil)
        #expect(pair.server.clientCertificateCommonName == nil)
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func theGlobalPolicyRequiresAndVerifiesAgainstItsCA(version: Int32) throws {
        let setup = try setup()
        for name in ["alpha.example.com", "unknown.test", nil] as [String?] {
            let (pair, client, outcome) = try TLSPair.connect(
                setup.context, setup.snapshot, options(name, certificate: true, version: version))
            #expect(outcome.succeeded, "\(name ?? "<no SNI>"): \(outcome)")
            #expect(client.requestedCANames == ["/CN=Test CA"])
            #expect(pair.server.clientTrust === setup.global)
            #expect(pair.server.hasVerifiedClientCertificate)
            #expect(pair.server.verifiedClientCertificate?.commonName == "client")
            #expect(pair.server.verifiedClientCertificate?.dnsNames == ["client.clients.test"])
            #expect(pair.server.clientCertificateCommonName == "client")
        }
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func anOptionalPolicyLetsAClientWithoutCertificateIn(version: Int32) throws {
        let setup = try setup()
        let (pair, client, outcome) = try TLSPair.connect(
            setup.context, setup.snapshot, options("x.example.com", certificate: false, version: version))
        #expect(outcome.succeeded, "\(outcome)")
        #expect(client.requestedCANames == ["/CN=ca2"], "wild's own CA, not the global one")
        #expect(pair.server.clientTrust === setup.wild)
        #expect(!pair.server.clientCertificatePresented)
        #expect(!pair.server.hasVerifiedClientCertificate)
        #expect(pair.server.verifiedClientCertificate == nil)
    }

    @Test func thePolicyFollowsTheCertificateNotTheGlobalTrust() throws {
        // "client" is from Test CA: good enough for the global policy, not for wild's (ca2 only).
        let setup = try setup()
        let wild = try TLSPair.connect(
            setup.context, setup.snapshot,
            options("y.example.com", certificate: true, version: TLS1_3_VERSION))
        #expect(wild.outcome.reason == .clientCertUntrusted, "\(wild.outcome)")
        #expect(wild.pair.server.clientTrust === setup.wild)
        #expect(!wild.pair.server.hasVerifiedClientCertificate)
        let alpha = try TLSPair.connect(
            setup.context, setup.snapshot,
            options("alpha.example.com", certificate: true, version: TLS1_3_VERSION))
        #expect(alpha.outcome.succeeded, "\(alpha.outcome)")
    }

    @Test func anAllowListAdmitsOnlyTheNamesOnIt() throws {
        let fixture = try TLSFixture.get()
        let context = try TLSServerContext(settings: TLSSettings())
        for (allowed, admitted) in [("client", true), ("someone-else", false)] {
            let trust = try fixture.trust(
                .require, identity: "cn:\(allowed)",
                allowList: ClientAllowList(commonNames: [allowed]))
            let snapshot = try fixture.snapshot(ClientTrustTable(global: trust))
            let run = try TLSPair.connect(context, snapshot, options(nil, certificate: true, version: TLS1_3_VERSION))
            #expect(run.outcome.succeeded == admitted, "--allow-cn \(allowed): \(run.outcome)")
            #expect(run.outcome.reason == (admitted ? nil : .clientCertDenied))
        }
    }
}
