import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Testing

/// An ECDSA and an RSA certificate for the same names: both stay in the snapshot's name table, the ECDSA
/// one first with the RSA one as its alternative; duplicates of one key type keep the first-wins rule.
@Suite("ECDSA and RSA certificates for one name")
struct DualCertificateSnapshotTests {
    /// Leaves of "Test CA": `(name, san, rsa)`.
    private func load(_ pki: TestPKI, _ leaves: [(String, String, Bool)]) throws -> [LoadedCertificate] {
        try CertificateLoader.loadAll(
            leaves.map { name, san, rsa in
                let files = try pki.leaf(name, san: san, rsa: rsa)
                return CertificateSource(name: name, certificatePath: files.crt, keyPath: files.key)
            })
    }

    @Test func keyTypesAreReadAtLoad() throws {
        let pki = try TestPKI()
        let loaded = try load(pki, [("e", "DNS:a.test", false), ("r", "DNS:a.test", true)])
        #expect(loaded[0].certifiedKey.keyType == .ecdsa(group: CertificateKeyType.secp256r1))
        #expect(loaded[1].certifiedKey.keyType == .rsa)
    }

    @Test func anECDSAAndAnRSACertificateShareTheirNames() throws {
        let pki = try TestPKI()
        // Names sort the RSA one first: the pair still puts ECDSA first.
        let loaded = try load(
            pki,
            [
                ("example.ecdsa", "DNS:example.test,DNS:www.example.test,DNS:*.wild.test", false),
                ("example.rsa", "DNS:example.test,DNS:*.wild.test,DNS:rsa-only.test", true),
                ("a-other", "DNS:other.test", false),
            ])
        let snapshot = try CertificateSnapshot(certificates: loaded, defaultName: "a-other")
        #expect(snapshot.warnings.isEmpty, "\(snapshot.warnings)")
        for name in ["example.test", "EXAMPLE.test.", "x.wild.test"] {
            let served = snapshot.served(forServerName: name)
            #expect(served.primary.name == "example.ecdsa")
            #expect(served.rsaAlternative?.name == "example.rsa")
            let selection = try #require(snapshot.selection(forServerName: name))
            #expect(selection.certificate === served.primary.certifiedKey)
            #expect(selection.rsaAlternative?.certificate === served.rsaAlternative?.certifiedKey)
            #expect(selection.match == .serverName)
            #expect(selection.servingRSAAlternative.certificate === served.rsaAlternative?.certifiedKey)
        }
        // Names only one of them has are that one's alone.
        #expect(snapshot.served(forServerName: "www.example.test").rsaAlternative == nil)
        #expect(snapshot.served(forServerName: "rsa-only.test").primary.name == "example.rsa")
        #expect(snapshot.selection(forServerName: "rsa-only.test")?.rsaAlternative == nil)
        #expect(
            snapshot.dualCertificates == [
                DualCertificate(ecdsa: "example.ecdsa", rsa: "example.rsa", names: ["example.test", "*.wild.test"])
            ])
        // The default is not part of the pair: alone.
        #expect(snapshot.defaultServed.primary.name == "a-other")
        #expect(snapshot.defaultServed.rsaAlternative == nil)
    }

    @Test func theDefaultCertificateBringsItsPartner() throws {
        let pki = try TestPKI()
        let loaded = try load(pki, [("site-rsa", "DNS:site.test", true), ("site-ecdsa", "DNS:site.test", false)])
        // The RSA one is the default by name; clients without SNI still get ECDSA when they support it.
        for defaultName in [nil, "site-rsa", "site-ecdsa"] {
            let snapshot = try CertificateSnapshot(certificates: loaded, defaultName: defaultName)
            #expect(snapshot.defaultServed.primary.name == "site-ecdsa")
            #expect(snapshot.defaultServed.rsaAlternative?.name == "site-rsa")
            let selection = try #require(snapshot.selection(forServerName: nil))
            // Two certificates, but one name: nothing else could be meant.
            #expect(selection.match == .onlyCertificate)
            #expect(selection.rsaAlternative != nil)
            #expect(try #require(snapshot.selection(forServerName: "unknown.test")).match == .fallback)
        }
    }

    @Test func twoCertificatesOfOneKeyTypeStillConflict() throws {
        let pki = try TestPKI()
        let loaded = try load(
            pki,
            [
                ("a-ecdsa", "DNS:dup.test", false), ("b-ecdsa", "DNS:dup.test", false),
                ("c-rsa", "DNS:dup.test", true), ("d-rsa", "DNS:dup.test", true),
            ])
        let snapshot = try CertificateSnapshot(certificates: loaded, defaultName: nil)
        let served = snapshot.served(forServerName: "dup.test")
        // The first by name wins among the ECDSA ones; the first RSA one pairs with it; the rest lose.
        #expect(served.primary.name == "a-ecdsa")
        #expect(served.rsaAlternative?.name == "c-rsa")
        #expect(snapshot.warnings.count == 2)
        #expect(snapshot.warnings.contains { $0.contains("'b-ecdsa' does not get it") })
        #expect(snapshot.warnings.contains { $0.contains("'d-rsa' does not get it") })
        let rsaOnly = try CertificateSnapshot(certificates: [loaded[2], loaded[3]], defaultName: nil)
        #expect(rsaOnly.served(forServerName: "dup.test").primary.name == "c-rsa")
        #expect(rsaOnly.served(forServerName: "dup.test").rsaAlternative == nil)
        #expect(rsaOnly.dualCertificates.isEmpty)
        #expect(rsaOnly.warnings.count == 1)
    }
}
