import COpenSSL
import CertgateCertificates
import CertgateTLS
import Glibc
import Testing

/// The `reason` label of failed handshakes: real failures provoked by a real client (or by bytes that are
/// not TLS at all), classified by `TLSConnection.failureReason` from OpenSSL's error and, for client
/// certificates, from the verification result.
@Suite("TLS handshake failure reasons")
struct HandshakeFailureTests {
    private let fixture: TLSFixture

    init() throws {
        fixture = try TLSFixture.get()
    }

    private func failure(
        settings: TLSSettings = TLSSettings(), policy: ClientTrust? = nil,
        _ configure: (inout TLSTestClient.Options) -> Void
    ) throws -> TLSPair.Outcome {
        let context = try TLSServerContext(settings: settings)
        let snapshot = try fixture.snapshot(ClientTrustTable(global: policy))
        var options = TLSTestClient.Options()
        options.serverName = "alpha.example.com"
        configure(&options)
        let outcome = try TLSPair.connect(context, snapshot, options).outcome
        #expect(!outcome.succeeded)
        if case .failed = outcome.server {} else { Issue.record("the server must fail: \(outcome.server)") }
        return outcome
    }

    @Test func aProtocolVersionBelowTheMinimumIsNoSharedProtocol() throws {
        let outcome = try failure(settings: TLSSettings(minimumVersion: .tls13)) {
            $0.maximumVersion = TLS1_2_VERSION
        }
        #expect(outcome.reason == .noSharedProtocol, "\(outcome)")
    }

    @Test func noCipherInCommonIsNoSharedCipher() throws {
        // TLS 1.2 with a CBC suite only (the server offers AEAD suites only).
        let twelve = try failure {
            $0.maximumVersion = TLS1_2_VERSION
            $0.ciphers = "ECDHE-ECDSA-AES128-SHA"
        }
        #expect(twelve.reason == .noSharedCipher, "\(twelve)")
        // TLS 1.3 with a ciphersuite the server was configured without.
        let thirteen = try failure(settings: TLSSettings(ciphersuites: "TLS_AES_256_GCM_SHA384")) {
            $0.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256"
        }
        #expect(thirteen.reason == .noSharedCipher, "\(thirteen)")
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func noClientCertificateUnderRequireIsClientCertMissing(version: Int32) throws {
        let outcome = try failure(policy: fixture.trust(.require, identity: "require")) {
            $0.maximumVersion = version
        }
        #expect(outcome.reason == .clientCertMissing, "\(outcome)")
    }

    @Test(arguments: [ClientVerification.require, .optional])
    func aClientCertificateFromAnotherCAIsUntrusted(verification: ClientVerification) throws {
        let policy = try fixture.trust(verification, identity: "ca2", caBundles: [fixture.otherCAPEM])
        let outcome = try failure(policy: policy) { $0.identity = fixture.client }
        #expect(outcome.reason == .clientCertUntrusted, "\(outcome)")
    }

    @Test func anExpiredClientCertificateIsClientCertExpired() throws {
        let outcome = try failure(policy: fixture.trust(identity: "require")) { $0.identity = fixture.expiredClient }
        #expect(outcome.reason == .clientCertExpired, "\(outcome)")
    }

    @Test func aRevokedClientCertificateIsClientCertRevoked() throws {
        let policy = try fixture.trust(identity: "crl", crls: [fixture.revokingCRL])
        let outcome = try failure(policy: policy) { $0.identity = fixture.revokedClient }
        #expect(outcome.reason == .clientCertRevoked, "\(outcome)")
        // The same CRL lets a client that is not on it in.
        let context = try TLSServerContext(settings: TLSSettings())
        var options = TLSTestClient.Options()
        options.identity = fixture.client
        let admitted = try TLSPair.connect(context, fixture.snapshot(ClientTrustTable(global: policy)), options)
        #expect(admitted.outcome.succeeded, "\(admitted.outcome)")
    }

    @Test func noCRLForTheClientsIssuerIsClientCRLUnavailable() throws {
        // CRL checking is on (a CRL is loaded) but it is ca2's: Test CA's clients cannot be checked.
        let policy = try fixture.trust(identity: "crl", crls: [fixture.foreignCRL])
        let outcome = try failure(policy: policy) { $0.identity = fixture.client }
        #expect(outcome.reason == .clientCRLUnavailable, "\(outcome)")
    }

    @Test func aClientThatRefusesOurCertificateIsPeerAlert() throws {
        let outcome = try failure { $0.verifyServer = true }
        #expect(outcome.reason == .peerAlert, "\(outcome)")
        if case .failed(let reason) = outcome.client {
            #expect(reason == "certificate verify failed")
        } else {
            Issue.record("the client refused the certificate: \(outcome.client)")
        }
    }

    @Test func plainHTTPInsteadOfAClientHelloIsNotTLS() throws {
        let pair = try TLSPair(context: TLSServerContext(settings: TLSSettings()), resolver: fixture.snapshot())
        let outcome = pair.serverHandshake(receiving: Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8))
        #expect(outcome.reason == .notTLS, "\(outcome)")
        #expect(pair.server.selectedCertificate == nil)
    }

    @Test func garbageInsteadOfAClientHelloIsNotTLS() throws {
        let pair = try TLSPair(context: TLSServerContext(settings: TLSSettings()), resolver: fixture.snapshot())
        // A handshake record header with a version no TLS ever had, then junk.
        let outcome = pair.serverHandshake(receiving: [0x16, 0x7f, 0x7f, 0x00, 0x05, 1, 2, 3, 4, 5])
        #expect(outcome.reason == .notTLS, "\(outcome)")
    }

    @Test func aClientThatClosesBeforeAClientHelloIsAnEndOfStream() throws {
        let pair = try TLSPair(context: TLSServerContext(settings: TLSSettings()), resolver: fixture.snapshot())
        // Half-close (not close), so nothing the server might still write can raise SIGPIPE.
        #expect(shutdown(pair.clientFD, Int32(SHUT_WR)) == 0)
        let outcome = pair.serverHandshakeOnly()
        // The proxy counts `.closed` during a handshake as peer_closed; a socket error maps to it too.
        #expect(outcome.server == .closed, "\(outcome)")
        #expect(HandshakeFailureReason(.system(ECONNRESET)) == .peerClosed)
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func aClientThatGivesUpHalfwayIsAnEndOfStream(version: Int32) throws {
        let pair = try TLSPair(context: TLSServerContext(settings: TLSSettings()), resolver: fixture.snapshot())
        var options = TLSTestClient.Options()
        options.maximumVersion = version
        let client = try TLSTestClient(fd: pair.clientFD, options)
        #expect(client.handshakeStep() == .pending, "ClientHello sent")
        #expect(pair.server.handshake() == .wantRead, "ServerHello sent, waiting for the client's next flight")
        #expect(pair.server.selectedCertificate != nil)
        #expect(shutdown(pair.clientFD, Int32(SHUT_WR)) == 0)
        #expect(pair.serverHandshakeOnly().server == .closed)
    }
}
