import CertgateTLS
import Testing

/// The pure choice between an ECDSA and an RSA certificate from a ClientHello's raw extensions and cipher
/// suites (no sockets, no OpenSSL).
@Suite("ECDSA or RSA from the ClientHello")
struct ClientKeyOfferTests {
    /// The default TLS 1.2 suites: ECDHE-ECDSA-AES128-GCM-SHA256 and -AES256-GCM-SHA384, -CHACHA20;
    /// ECDHE-RSA-AES128-GCM-SHA256, -AES256-GCM-SHA384, -CHACHA20.
    static let server = CipherSuiteAuthentication(
        ecdsa: [0xC02B, 0xC02C, 0xCCA9], rsa: [0xC02F, 0xC030, 0xCCA8])
    static let p256 = CertificateKeyType.secp256r1
    static let p384 = CertificateKeyType.secp384r1

    static let ecdsaP256: UInt16 = 0x0403
    static let ecdsaP384: UInt16 = 0x0503
    static let rsaPSS256: UInt16 = 0x0804
    static let rsaPKCS1256: UInt16 = 0x0401

    /// A 2-byte-length list of 2-byte codes.
    private func list(_ codes: [UInt16]) -> [UInt8] {
        let body = codes.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        return [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    private func offer(
        tls13: Bool, sigalgs: [UInt16]? = nil, groups: [UInt16]? = nil, suites: [UInt16] = [0x1301]
    ) -> ClientKeyOffer {
        let versions: [UInt8] = tls13 ? [4, 0x03, 0x04, 0x03, 0x03] : [2, 0x03, 0x03]
        return ClientKeyOffer(
            supportedVersions: versions, signatureAlgorithms: sigalgs.map(list), supportedGroups: groups.map(list),
            cipherSuites: suites.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, serverSuites: Self.server)
    }

    @Test func tls13ClientListingTheCurvesSchemeGetsECDSA() {
        let offered = offer(tls13: true, sigalgs: [Self.ecdsaP256, Self.rsaPSS256, Self.rsaPKCS1256])
        #expect(offered.offersTLS13)
        #expect(offered.supportsECDSA(group: Self.p256))
        #expect(offered.supportsRSA)
        #expect(offered.choosesECDSA(group: Self.p256))
    }

    @Test func tls13ClientWithOnlyRSASchemesGetsRSA() {
        let offered = offer(tls13: true, sigalgs: [Self.rsaPSS256, 0x0805, 0x0806])
        #expect(!offered.supportsECDSA(group: Self.p256))
        #expect(!offered.choosesECDSA(group: Self.p256))
    }

    @Test func tls13SchemesAreBoundToTheCurve() {
        // ecdsa_secp384r1_sha384 does not cover a P-256 key in TLS 1.3.
        let offered = offer(tls13: true, sigalgs: [Self.ecdsaP384, Self.rsaPSS256])
        #expect(!offered.choosesECDSA(group: Self.p256))
        #expect(offered.choosesECDSA(group: Self.p384))
    }

    @Test func tls13IgnoresTheTLS12CipherSuites() {
        let offered = offer(tls13: true, sigalgs: [Self.ecdsaP256], suites: [0x1301, 0xC02F])
        #expect(offered.choosesECDSA(group: Self.p256))
    }

    @Test func tls13RSAOnlyWithPKCS1SchemesStillFallsBackToECDSA() {
        // rsa_pkcs1_* cannot sign a TLS 1.3 handshake: the client supports neither, ECDSA stays.
        let offered = offer(tls13: true, sigalgs: [Self.rsaPKCS1256])
        #expect(!offered.supportsRSA)
        #expect(offered.choosesECDSA(group: Self.p256))
    }

    @Test func tls12ChoosesByTheOfferedSuites() {
        let rsaOnly = offer(tls13: false, sigalgs: [Self.ecdsaP256, Self.rsaPKCS1256], suites: [0xC02F])
        #expect(!rsaOnly.offersTLS13)
        #expect(!rsaOnly.choosesECDSA(group: Self.p256))
        let ecdsaOnly = offer(tls13: false, sigalgs: [Self.ecdsaP256, Self.rsaPKCS1256], suites: [0xC02B])
        #expect(ecdsaOnly.choosesECDSA(group: Self.p256))
        #expect(!ecdsaOnly.supportsRSA)
        let both = offer(tls13: false, sigalgs: [Self.ecdsaP256, Self.rsaPKCS1256], suites: [0xC02F, 0xC02B])
        #expect(both.supportsRSA && both.choosesECDSA(group: Self.p256))
    }

    @Test func tls12SuitesTheServerDidNotEnableDoNotCount() {
        // ECDHE-ECDSA-AES128-SHA (CBC) is offered but not enabled: only the RSA suite can be chosen.
        let offered = offer(tls13: false, suites: [0xC009, 0xC02F])
        #expect(!offered.choosesECDSA(group: Self.p256))
    }

    @Test func tls12SignatureAlgorithmsMustAllowTheKeyType() {
        let noECDSAScheme = offer(tls13: false, sigalgs: [Self.rsaPSS256], suites: [0xC02B, 0xC02F])
        #expect(!noECDSAScheme.choosesECDSA(group: Self.p256))
        // In TLS 1.2 an ECDSA scheme is not bound to a curve.
        let otherCurve = offer(tls13: false, sigalgs: [Self.ecdsaP384, Self.rsaPSS256], suites: [0xC02B, 0xC02F])
        #expect(otherCurve.choosesECDSA(group: Self.p256))
        // SHA-1 schemes (ecdsa_sha1 0x0203) are not enough.
        let sha1Only = offer(tls13: false, sigalgs: [0x0203, Self.rsaPKCS1256], suites: [0xC02B, 0xC02F])
        #expect(!sha1Only.choosesECDSA(group: Self.p256))
    }

    @Test func tls12ECDSANeedsTheCurveInSupportedGroups() {
        let withoutP256 = offer(
            tls13: false, sigalgs: [Self.ecdsaP256, Self.rsaPSS256], groups: [29, 24], suites: [0xC02B, 0xC02F])
        #expect(!withoutP256.choosesECDSA(group: Self.p256))
        #expect(withoutP256.choosesECDSA(group: Self.p384))
    }

    @Test func missingExtensionsRestrictNothing() {
        let tls12 = offer(tls13: false, suites: [0xC02B, 0xC02F])
        #expect(tls12.supportsECDSA(group: Self.p256) && tls12.supportsRSA)
        let noVersions = ClientKeyOffer(
            supportedVersions: nil, signatureAlgorithms: nil, supportedGroups: nil, cipherSuites: [0xC0, 0x2F],
            serverSuites: Self.server)
        #expect(!noVersions.offersTLS13)
        #expect(!noVersions.choosesECDSA(group: Self.p256))
    }

    @Test func malformedListsAreReadAsFarAsTheyGo() {
        // A length longer than the bytes, an odd byte at the end: neither traps, whole codes count.
        let truncated = ClientKeyOffer(
            supportedVersions: [9, 0x03, 0x04, 0x03], signatureAlgorithms: [0x00, 0x20, 0x08, 0x04, 0x04],
            supportedGroups: [0x00], cipherSuites: [0xC0, 0x2B, 0xC0], serverSuites: Self.server)
        #expect(truncated.offersTLS13)
        #expect(truncated.supportsRSA)
        #expect(!truncated.supportsECDSA(group: Self.p256))
        let empty = ClientKeyOffer(
            supportedVersions: [], signatureAlgorithms: [], supportedGroups: [], cipherSuites: [],
            serverSuites: Self.server)
        #expect(!empty.offersTLS13)
        #expect(empty.sentSignatureAlgorithms)
        #expect(empty.choosesECDSA(group: Self.p256))
    }
}
