import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateCertificates

@Suite("OCSP responses: checked at load, stapled only when good and current")
struct OCSPStapleTests {
    /// `certs/NAME.pem` with the leaf, its issuer (the test CA) and the key: the layout OCSP needs.
    private func combined(_ pki: TestPKI, _ name: String, withIssuer: Bool = true) throws -> CertificateSource {
        _ = try pki.mkdir("certs")
        let issuer = withIssuer ? try pki.read("ca.crt") : ""
        let path = try pki.write("certs/\(name).pem", try pki.read("\(name).crt") + issuer + pki.read("\(name).key"))
        return CertificateSource(name: name, certificatePath: path, keyPath: path, directory: pki.path("certs"))
    }

    private func load(_ source: CertificateSource, previous: LoadedCertificate? = nil) throws -> LoadedCertificate {
        let content = try SourceContent.read(source, stable: false, ocsp: true)
        return try CertificateLoader.parse(source, content: content, previous: previous)
    }

    private var now: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test func ocspPathIsTheCertificateStemBesideIt() {
        #expect(CertificateSource(name: "a", certificatePath: "/c/a.pem", keyPath: "/c/a.pem").ocspPath == "/c/a.ocsp")
        #expect(CertificateSource(name: "b", certificatePath: "/c/b.crt", keyPath: "/c/b.key").ocspPath == "/c/b.ocsp")
        #expect(
            CertificateSource(name: "s", certificatePath: "/c/s/tls.crt", keyPath: "/c/s/tls.key").ocspPath
                == "/c/s/tls.ocsp")
        #expect(CertificateSource(name: "x", certificatePath: "x.crt", keyPath: "x.key").ocspPath == "x.ocsp")
        // --ocsp-dir: NAME.ocsp there, named after the certificate, not its file.
        let secret = CertificateSource(name: "site", certificatePath: "/c/site/tls.crt", keyPath: "/c/site/tls.key")
        #expect(secret.withOCSPDirectory("/var/ocsp").ocspPath == "/var/ocsp/site.ocsp")
        #expect(secret.withOCSPDirectory("/var/ocsp/").signaturePaths.last == "/var/ocsp/site.ocsp")
    }

    @Test func goodResponseIsStapledWithItsNextUpdate() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        let source = try combined(pki, "api")
        try FileManager.default.copyItem(atPath: try pki.ocspResponse("api", for: leaf.crt), toPath: source.ocspPath)
        let loaded = try load(source)
        #expect(loaded.ocspLoad == .loaded)
        let staple = try #require(loaded.ocspStaple)
        #expect(abs(staple.nextUpdate - (now + 86400)) < 120)
        #expect(staple.thisUpdate <= now + 1)
        #expect(staple.der == Array(try Data(contentsOf: URL(fileURLWithPath: source.ocspPath))))
        // The handshake gets it with the certificate.
        let snapshot = try CertificateSnapshot(certificates: [loaded], defaultName: nil)
        #expect(snapshot.selection(forServerName: "api.example.com")?.ocspStaple === staple)
    }

    @Test func fetchRequestNamesTheAIAResponderAndIsDER() throws {
        let pki = try TestPKI()
        try pki.leaf(
            "api", san: "DNS:api.example.com", extensions: ["authorityInfoAccess=OCSP;URI:http://127.0.0.1:8888/ocsp"])
        let request = try #require(OCSPRequest(for: try load(try combined(pki, "api")).certifiedKey))
        #expect(request.url == "http://127.0.0.1:8888/ocsp")
        // An OCSPRequest is a DER SEQUENCE.
        #expect(request.der.first == 0x30)
        #expect(request.der.count > 40)
        // Without the AIA extension, or without the issuer after the leaf, there is nothing to fetch.
        try pki.leaf("plain", san: "DNS:plain.example.com")
        #expect(OCSPRequest(for: try load(try combined(pki, "plain")).certifiedKey) == nil)
        #expect(OCSPRequest(for: try load(try combined(pki, "api", withIssuer: false)).certifiedKey) == nil)
    }

    @Test func noFileMeansNoStapleAndNothingToReport() throws {
        let pki = try TestPKI()
        try pki.leaf("api", san: "DNS:api.example.com")
        let loaded = try load(try combined(pki, "api"))
        #expect(loaded.ocspLoad == nil)
        #expect(loaded.ocspStaple == nil)
    }

    @Test func responseForAnotherCertificateIsRefused() throws {
        let pki = try TestPKI()
        try pki.leaf("api", san: "DNS:api.example.com")
        let other = try pki.leaf("other", san: "DNS:other.example.com")
        let source = try combined(pki, "api")
        try FileManager.default.copyItem(atPath: try pki.ocspResponse("other", for: other.crt), toPath: source.ocspPath)
        let loaded = try load(source)
        #expect(loaded.ocspStaple == nil)
        #expect(
            loaded.ocspLoad == .rejected(path: source.ocspPath, error: .notForCertificate, keptPrevious: false))
        #expect(loaded.ocspLoad?.metricResult == "invalid")
    }

    @Test func responseSignedByAnotherCAIsRefused() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        try pki.ca("evil")
        let source = try combined(pki, "api")
        try FileManager.default.copyItem(
            atPath: try pki.ocspResponse("api", for: leaf.crt, signer: "evil"), toPath: source.ocspPath)
        let loaded = try load(source)
        #expect(loaded.ocspStaple == nil)
        guard case .rejected(_, .badSignature, false)? = loaded.ocspLoad else {
            Issue.record("expected a bad signature, got \(String(describing: loaded.ocspLoad))")
            return
        }
    }

    @Test func revokedAndUnknownStatusesAreRefused() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        let source = try combined(pki, "api")
        let revoked = try pki.ocspResponse("revoked", for: leaf.crt, status: .revoked)
        try FileManager.default.copyItem(atPath: revoked, toPath: source.ocspPath)
        let loaded = try load(source)
        #expect(loaded.ocspStaple == nil)
        #expect(loaded.ocspLoad == .rejected(path: source.ocspPath, error: .revoked, keptPrevious: false))
        #expect(loaded.ocspLoad?.metricResult == "revoked")
        let unknown = try pki.ocspResponse("unknown", for: leaf.crt, status: .unknown)
        #expect(throws: OCSPStapleError.unknownStatus) {
            try OCSPStaple.validate(
                der: Array(try Data(contentsOf: URL(fileURLWithPath: unknown))), for: loaded.certifiedKey, now: now)
        }
    }

    @Test func expiredAndFutureResponsesAreRefused() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        let source = try combined(pki, "api")
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: try pki.ocspResponse("api", for: leaf.crt))))
        let key = try load(source).certifiedKey
        let good = try OCSPStaple.validate(der: der, for: key, now: now)
        #expect(good.isCurrent(at: now))
        #expect(!good.isCurrent(at: good.nextUpdate))
        #expect(throws: OCSPStapleError.expired(nextUpdate: good.nextUpdate)) {
            try OCSPStaple.validate(der: der, for: key, now: good.nextUpdate)
        }
        #expect(throws: OCSPStapleError.notYetValid(thisUpdate: good.thisUpdate)) {
            try OCSPStaple.validate(der: der, for: key, now: good.thisUpdate - OCSPStaple.clockSkew - 1)
        }
        #expect(OCSPStapleError.expired(nextUpdate: 0).metricResult == "expired")
    }

    @Test func garbageEmptyAndIssuerlessAreRefused() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        let key = try load(try combined(pki, "api")).certifiedKey
        #expect(throws: OCSPStapleError.unparsable) { try OCSPStaple.validate(der: [], for: key, now: now) }
        #expect(throws: OCSPStapleError.unparsable) {
            try OCSPStaple.validate(der: Array("not ocsp".utf8), for: key, now: now)
        }
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: try pki.ocspResponse("api", for: leaf.crt))))
        #expect(throws: OCSPStapleError.unparsable) { try OCSPStaple.validate(der: der + [0], for: key, now: now) }
        let bare = try load(try combined(pki, "api", withIssuer: false)).certifiedKey
        #expect(throws: OCSPStapleError.noIssuer) { try OCSPStaple.validate(der: der, for: bare, now: now) }
    }

    @Test func badReplacementKeepsThePreviousResponseWhileCurrent() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com")
        let source = try combined(pki, "api")
        try FileManager.default.copyItem(atPath: try pki.ocspResponse("api", for: leaf.crt), toPath: source.ocspPath)
        let first = try load(source)
        let staple = try #require(first.ocspStaple)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: source.ocspPath))
        let second = try load(source, previous: first)
        #expect(second.ocspStaple === staple)
        #expect(second.ocspLoad == .rejected(path: source.ocspPath, error: .unparsable, keptPrevious: true))
        #expect(second.digest != first.digest)
        // A different certificate does not inherit it.
        try pki.leaf("api", san: "DNS:api.example.com")
        let renewed = try combined(pki, "api")
        let third = try load(renewed, previous: first)
        #expect(third.ocspStaple == nil)
    }
}
