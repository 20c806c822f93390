import COpenSSL
import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Testing

/// A name with an ECDSA and an RSA certificate: real handshakes get the one the client supports, ECDSA
/// when it supports both, by signature_algorithms in TLS 1.3 and by cipher suites in TLS 1.2.
@Suite("TLS handshake: ECDSA or RSA certificate for one name")
struct DualCertificateHandshakeTests {
    /// `dual-ecdsa` (P-256) and `dual-rsa` (RSA-2048), both for dual.example.com, and `solo-rsa` for
    /// solo.example.com; `dual-ecdsa` the default.
    private static let certificates = Result {
        let pki = try TestPKI()
        let sources = try [("dual-ecdsa", "dual", false), ("dual-rsa", "dual", true), ("solo-rsa", "solo", true)].map {
            name, host, rsa in
            let files = try pki.leaf(name, san: "DNS:\(host).example.com", rsa: rsa)
            return CertificateSource(name: name, certificatePath: files.crt, keyPath: files.key)
        }
        return try CertificateLoader.loadAll(sources)
    }

    /// The commonName of the certificate served to a client with `options` (SNI dual.example.com unless
    /// set), after checking that the handshake worked and that the server agrees.
    private func served(_ options: TLSTestClient.Options, settings: TLSSettings = TLSSettings()) throws -> String? {
        let snapshot = try CertificateSnapshot(certificates: Self.certificates.get(), defaultName: "dual-ecdsa")
        let context = try TLSServerContext(settings: settings)
        var options = options
        if options.serverName == nil { options.serverName = "dual.example.com" }
        let (pair, client, outcome) = try TLSPair.connect(context, snapshot, options)
        #expect(outcome.succeeded, "\(outcome)")
        let commonName = try #require(client.peerCertificateNames).commonName
        let chosen = try #require(pair.server.selectedCertificate)
        #expect(chosen.leaf.commonName == commonName)
        #expect(chosen.keyType == (commonName?.hasSuffix("rsa") == true ? .rsa : .ecdsa(group: 23)))
        return commonName
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func aClientSupportingBothGetsECDSA(version: Int32) throws {
        var options = TLSTestClient.Options()
        options.maximumVersion = version
        #expect(try served(options) == "dual-ecdsa")
    }

    @Test func tls13RSAOnlySignatureAlgorithmsGetRSA() throws {
        var options = TLSTestClient.Options()
        options.sigalgs = "RSA-PSS+SHA256:RSA-PSS+SHA384"
        #expect(try served(options) == "dual-rsa")
    }

    @Test func tls13ECDSAOfAnotherCurveIsNotEnough() throws {
        var options = TLSTestClient.Options()
        options.sigalgs = "ECDSA+SHA384:RSA-PSS+SHA256"
        #expect(try served(options) == "dual-rsa")
        options.sigalgs = "ECDSA+SHA256:RSA-PSS+SHA256"
        #expect(try served(options) == "dual-ecdsa")
    }

    @Test func tls12ChoosesByCipherSuite() throws {
        var options = TLSTestClient.Options()
        options.maximumVersion = TLS1_2_VERSION
        options.ciphers = "ECDHE-RSA-AES128-GCM-SHA256"
        #expect(try served(options) == "dual-rsa")
        options.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"
        #expect(try served(options) == "dual-ecdsa")
        options.ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384"
        #expect(try served(options) == "dual-ecdsa")
    }

    @Test func tls12SignatureAlgorithmsCountToo() throws {
        var options = TLSTestClient.Options()
        options.maximumVersion = TLS1_2_VERSION
        options.sigalgs = "RSA+SHA256:RSA-PSS+SHA256"
        #expect(try served(options) == "dual-rsa")
    }

    @Test func aClientWithoutSNIGetsThePairOfTheDefault() throws {
        var options = TLSTestClient.Options()
        options.serverName = "unknown.test"
        #expect(try served(options) == "dual-ecdsa")
        options.sigalgs = "RSA-PSS+SHA256"
        #expect(try served(options) == "dual-rsa")
    }

    @Test func aSingleCertificateIsServedWhateverTheClientPrefers() throws {
        var options = TLSTestClient.Options()
        options.serverName = "solo.example.com"
        options.sigalgs = "ECDSA+SHA256:RSA-PSS+SHA256"
        #expect(try served(options) == "solo-rsa")
    }
}
