import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@Suite("Client CRLs: parsing and matching to the trusted CAs")
struct ClientCRLSetTests {
    private func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func certificates(_ path: String) throws -> [Certificate] {
        try CertifiedKey.certificates(inPEM: bytes(path))
    }

    @Test func parsesEveryCRLInTheFileWithItsDatesAndRevokedCount() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("client", san: nil)
        try pki.ca("other")
        try pki.crl("one", revoking: [leaf.crt])
        let one = try pki.read("one.crl")
        try pki.crl("two", ca: "other", nextUpdate: 3600)
        let two = try pki.read("two.crl")
        let lists = try RevocationList.revocationLists(inPEM: Array((one + two).utf8))
        #expect(lists.count == 2)
        #expect(lists[0].revokedCount == 1)
        #expect(lists[1].revokedCount == 0)
        #expect(lists[0].issuer == "CN=Test CA")
        #expect(lists[1].issuer == "CN=other")
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs(lists[0].lastUpdate - (now - 3600)) < 120)
        #expect(abs((lists[1].nextUpdate ?? 0) - (now + 3600)) < 120)
    }

    @Test func refusesGarbageAnEmptyFileAndAFileWithoutACRL() throws {
        let pki = try TestPKI()
        #expect(throws: RevocationListParseError.empty) { try RevocationList.revocationLists(inPEM: Array(" \n".utf8)) }
        #expect(throws: RevocationListParseError.noCRL) {
            try RevocationList.revocationLists(inPEM: Array("not a crl\n".utf8))
        }
        #expect(throws: RevocationListParseError.noCRL, "a certificate is not a CRL") {
            try RevocationList.revocationLists(inPEM: self.bytes(pki.path("ca.crt")))
        }
        let damaged = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
        #expect {
            try RevocationList.revocationLists(inPEM: Array(damaged.utf8))
        } throws: { error in
            guard case .invalid = error as? RevocationListParseError else { return false }
            return true
        }
    }

    @Test func eachCRLIsMatchedToTheTrustedCAThatSignedIt() throws {
        let pki = try TestPKI()
        try pki.ca("other")
        let trusted = try certificates(pki.path("ca.crt")) + certificates(pki.path("other.crt"))
        let lists = try RevocationList.revocationLists(inPEM: bytes(pki.crl("mine")))
        let set = try ClientCRLSet(lists: lists, trustedCAs: trusted)
        #expect(set.entries.map(\.issuerFingerprint) == [ContentDigest.hex(trusted[0].sha256Fingerprint)])
        #expect(set.uncovered(trusted).map(\.subject) == ["CN=other"], "the other CA has no CRL")
        #expect(set.nextUpdateByIssuer.count == 1)
    }

    @Test func aCRLNoTrustedCASignedIsRefused() throws {
        let pki = try TestPKI()
        try pki.ca("other")
        let trusted = try certificates(pki.path("ca.crt"))
        let foreign = try RevocationList.revocationLists(inPEM: bytes(pki.crl("foreign", ca: "other")))
        #expect(throws: ClientCRLError.unknownIssuer(index: 1, count: 1, issuer: "CN=other")) {
            try ClientCRLSet(lists: foreign, trustedCAs: trusted)
        }
    }

    @Test func aCRLWithTheRightIssuerNameButAnotherKeyIsRefused() throws {
        let pki = try TestPKI()
        let trusted = try certificates(pki.path("ca.crt"))
        // A second CA with the same subject name ("Test CA") but its own key.
        let impostor = try TestPKI()
        let forged = try RevocationList.revocationLists(inPEM: bytes(impostor.crl("forged")))
        #expect(forged[0].issuer == "CN=Test CA")
        #expect(throws: ClientCRLError.self) { try ClientCRLSet(lists: forged, trustedCAs: trusted) }
    }

    @Test func aCRLFromACAWhoseKeyUsageLacksCRLSignIsRefused() throws {
        let pki = try TestPKI()
        try pki.ca("nosign", crlSign: false)
        let trusted = try certificates(pki.path("nosign.crt"))
        let lists = try RevocationList.revocationLists(inPEM: bytes(pki.crl("x", ca: "nosign")))
        #expect(throws: ClientCRLError.issuerCannotSignCRLs(index: 1, count: 1, issuer: "CN=nosign")) {
            try ClientCRLSet(lists: lists, trustedCAs: trusted)
        }
    }

    @Test func expiredAndNotYetValidCRLsAreReported() throws {
        let pki = try TestPKI()
        let trusted = try certificates(pki.path("ca.crt"))
        let expired = try RevocationList.revocationLists(
            inPEM: bytes(pki.crl("old", lastUpdate: -7200, nextUpdate: -3600)))
        let future = try RevocationList.revocationLists(
            inPEM: bytes(pki.crl("new", lastUpdate: 3600, nextUpdate: 7200)))
        let set = try ClientCRLSet(lists: expired + future, trustedCAs: trusted)
        let now = Int64(Date().timeIntervalSince1970)
        let problems = set.unusable(now: now).map(\.problem)
        #expect(problems.count == 2)
        #expect(problems[0].hasPrefix("expired"))
        #expect(problems[1].hasPrefix("not valid yet"))
        #expect(set.nextUpdateByIssuer.values.first == (future[0].nextUpdate ?? 0), "the latest nextUpdate per CA")
    }
}
