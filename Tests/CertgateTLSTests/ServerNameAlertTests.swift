import COpenSSL
import CertgateCertificates
import CertgateTLS
import Testing

/// The alerts of the ClientHello callback, through a real handshake: a malformed server_name extension
/// gets `decode_error`, a name that is not a DNS name (or two of them) `illegal_parameter`, and with
/// `--strict-sni` a name no certificate has (or no name among several certificates) a fatal
/// `unrecognized_name`, all before any ServerHello. Without `--strict-sni` an unknown name gets the
/// default certificate with no alert at all and no acknowledgement of the name.
///
/// Hand-built ClientHellos (`RawClientHello`) carry what a client library would never send; the server's
/// first record is read back raw (`ServerReply`).
@Suite("TLS handshake: server_name alerts and --strict-sni")
struct ServerNameAlertTests {
    private static let fatal: UInt8 = 2
    private static let decodeError: UInt8 = 50
    private static let illegalParameter: UInt8 = 47
    private static let unrecognizedName: UInt8 = 112

    private let fixture: TLSFixture

    init() throws {
        fixture = try TLSFixture.get()
    }

    private func context(strict: Bool) throws -> TLSServerContext {
        try TLSServerContext(settings: TLSSettings(strictSNI: strict))
    }

    /// A snapshot serving only the certificate named `name`.
    private func single(_ name: String) throws -> CertificateSnapshot {
        try CertificateSnapshot(certificates: fixture.certificates.filter { $0.name == name }, defaultName: nil)
    }

    /// A raw ClientHello with the server_name body `serverName` (`nil`: none); the server's outcome and
    /// its first record.
    private func raw(_ serverName: [UInt8]?, strict: Bool = false, snapshot: CertificateSnapshot? = nil) throws
        -> (pair: TLSPair, outcome: TLSPair.Outcome, reply: ServerReply)
    {
        let pair = try TLSPair(context: context(strict: strict), resolver: snapshot ?? fixture.snapshot())
        let outcome = pair.serverHandshake(receiving: RawClientHello.record(serverName: serverName))
        return (pair, outcome, ServerReply.read(pair.clientFD))
    }

    @Test(
        arguments: [
            ("empty extension", []),
            ("empty list", [0, 0]),
            ("list length beyond the body", [0xFF, 0xFF, 0xFF, 0xFF]),
            ("trailing data", [0, 4, 0, 0, 1, 0x65, 0x78]),
            ("empty host name", RawClientHello.serverNameList([(0, [])])),
        ] as [(String, [UInt8])])
    func aMalformedExtensionGetsDecodeError(what: String, body: [UInt8]) throws {
        for strict in [false, true] {
            let (pair, outcome, reply) = try raw(body, strict: strict)
            #expect(reply == .alert(level: Self.fatal, description: Self.decodeError), "\(what): \(reply)")
            #expect(outcome.reason == .protocolError, "\(what): \(outcome)")
            #expect(pair.server.selectedCertificate == nil)
        }
    }

    @Test(
        arguments: [
            ("NUL", Array("exact.example.co".utf8) + [0] + Array("m".utf8)),
            ("BEL", Array("exact.example.co".utf8) + [7] + Array("m".utf8)),
            ("UTF-8", Array("exact.example.co".utf8) + [0xC4, 0x85] + Array("m".utf8)),
            ("ANSI escapes", Array("exact.example.com\u{1b}[31mBAD\u{1b}[0;37m".utf8)),
            ("empty label", Array("exact..example.com".utf8)),
        ] as [(String, [UInt8])])
    func aNameThatIsNotADNSNameGetsIllegalParameter(what: String, name: [UInt8]) throws {
        for strict in [false, true] {
            let (pair, outcome, reply) = try raw(RawClientHello.serverNameList([(0, name)]), strict: strict)
            #expect(reply == .alert(level: Self.fatal, description: Self.illegalParameter), "\(what): \(reply)")
            #expect(outcome.reason == .protocolError, "\(what): \(outcome)")
            #expect(pair.server.selectedCertificate == nil)
        }
    }

    @Test func twoHostNamesGetIllegalParameter() throws {
        let names = RawClientHello.serverNameList([
            (0, Array("exact.example.com".utf8)),
            (0, Array("www.exact.example.com".utf8)),
        ])
        let (_, outcome, reply) = try raw(names)
        #expect(reply == .alert(level: Self.fatal, description: Self.illegalParameter), "\(reply)")
        #expect(outcome.reason == .protocolError)
    }

    /// certgate reads past a name of another type (RFC 6066); OpenSSL's own parser, which runs after the
    /// callback, then refuses the extension anyway: it accepts exactly one host_name entry. Pinned here so
    /// a change of OpenSSL's behaviour shows (tlsfuzzer's "multiple types in SNI" cases depend on it).
    @Test func anotherNameTypeIsReadPastButOpenSSLRefusesTheExtension() throws {
        let names = RawClientHello.serverNameList([(0, Array("exact.example.com".utf8)), (1, [1, 2, 3])])
        let (pair, _, reply) = try raw(names)
        #expect(pair.server.selectedCertificate?.leaf.commonName == "exact", "the callback chose by the host name")
        #expect(reply == .alert(level: Self.fatal, description: Self.decodeError), "\(reply)")
    }

    @Test func withoutStrictSNIAnUnknownNameGetsTheDefaultWithoutAlertOrAcknowledgement() throws {
        let unknown = try raw(RawClientHello.serverName("unknown.test"))
        // No warning-level unrecognized_name first: RFC 6066 calls it NOT RECOMMENDED.
        guard case .serverHello(let extensions) = unknown.reply else {
            Issue.record("expected a ServerHello first, got \(unknown.reply)")
            return
        }
        #expect(!extensions.contains(RawClientHello.serverNameExtension), "the name was not used: no acknowledgement")
        #expect(unknown.pair.server.selectedCertificate?.leaf.commonName == "alpha", "the default certificate")
        #expect(unknown.pair.server.serverName == "unknown.test")

        let known = try raw(RawClientHello.serverName("EXACT.example.com."))
        guard case .serverHello(let acknowledged) = known.reply else {
            Issue.record("expected a ServerHello, got \(known.reply)")
            return
        }
        #expect(acknowledged.contains(RawClientHello.serverNameExtension), "the name chose the certificate")
        #expect(known.pair.server.selectedCertificate?.leaf.commonName == "exact")
    }

    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func strictSNIRefusesAnUnknownNameWithAFatalAlert(version: Int32) throws {
        var options = TLSTestClient.Options()
        options.serverName = "unknown.test"
        options.maximumVersion = version
        let (pair, _, outcome) = try TLSPair.connect(context(strict: true), fixture.snapshot(), options)
        #expect(outcome.client == .failed("tlsv1 unrecognized name"), "\(outcome)")
        #expect(outcome.reason == .unrecognizedName, "\(outcome)")
        #expect(pair.server.selectedCertificate == nil, "no default certificate is served")

        let (_, _, reply) = try raw(RawClientHello.serverName("unknown.test"), strict: true)
        #expect(reply == .alert(level: Self.fatal, description: Self.unrecognizedName), "\(reply)")
    }

    @Test func strictSNIServesEveryNameACertificateHas() throws {
        for (name, served) in [
            ("exact.example.com", "exact"), ("Exact.Example.COM.", "exact"), ("x.example.com", "wild"),
            ("alpha.example.com", "alpha"),
        ] {
            var options = TLSTestClient.Options()
            options.serverName = name
            let (pair, client, outcome) = try TLSPair.connect(context(strict: true), fixture.snapshot(), options)
            #expect(outcome.succeeded, "\(name): \(outcome)")
            #expect(client.peerCertificateNames?.commonName == served, "\(name)")
            #expect(pair.server.selectedCertificate?.leaf.commonName == served)
        }
    }

    @Test func strictSNIRefusesNoNameOnlyWhenSeveralCertificatesAreLoaded() throws {
        let several = try TLSPair.connect(context(strict: true), fixture.snapshot(), TLSTestClient.Options())
        #expect(several.outcome.reason == .unrecognizedName, "\(several.outcome)")
        #expect(several.outcome.client == .failed("tlsv1 unrecognized name"))

        let one = try TLSPair.connect(context(strict: true), single("exact"), TLSTestClient.Options())
        #expect(one.outcome.succeeded, "the only certificate is what a client without SNI means: \(one.outcome)")
        #expect(one.client.peerCertificateNames?.commonName == "exact")

        // One certificate, but a name it does not have: refused all the same.
        var options = TLSTestClient.Options()
        options.serverName = "unknown.test"
        let unknown = try TLSPair.connect(context(strict: true), single("exact"), options)
        #expect(unknown.outcome.reason == .unrecognizedName, "\(unknown.outcome)")
    }
}
