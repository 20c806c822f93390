import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload

@Suite("Client CA store with --client-crl: reloads")
struct ClientCAStoreCRLTests {
    /// CA `ca` in `clientca.pem`, a CRL of it in `client.crl` revoking nothing.
    private func fixture() throws -> (TestPKI, ClientCAStore) {
        let pki = try TestPKI()
        try pki.ca("issuer")
        try install(pki, "clientca.pem", from: "issuer.crt")
        try install(pki, "client.crl", from: pki.crl("empty", ca: "issuer"))
        let store = try ClientCAStore(
            options: .init(
                path: pki.path("clientca.pem"), verification: .require, depth: 4,
                rootsLimit: 2, rootsMaxAge: nil, crlPath: pki.path("client.crl")))
        return (pki, store)
    }

    /// Atomic replace of `name` with the contents of `source`.
    private func install(_ pki: TestPKI, _ name: String, from source: String) throws {
        let text = try String(contentsOfFile: source.hasPrefix("/") ? source : pki.path(source), encoding: .utf8)
        try install(pki, name, text: text)
    }

    private func install(_ pki: TestPKI, _ name: String, text: String) throws {
        try text.write(toFile: pki.path(".tmp"), atomically: false, encoding: .utf8)
        #expect(rename(pki.path(".tmp"), pki.path(name)) == 0)
    }

    @Test func startupLoadsTheCRLsIntoTheTrust() throws {
        let (_, store) = try fixture()
        #expect(store.crl?.set.entries.count == 1)
        #expect(store.trust.revocationLists.count == 1)
        #expect(store.pool.generations.count == 1)
    }

    @Test func aNewCRLRebuildsTheTrustWithoutAddingAGeneration() throws {
        let (pki, store) = try fixture()
        let before = store.trust
        let leaf = try pki.leaf("client", san: nil)
        try install(pki, "client.crl", from: pki.crl("revoking", ca: "issuer", revoking: [leaf.crt]))
        let result = store.reload(forceRead: false)
        #expect(result.ca == .unchanged)
        #expect(result.crl == .updated)
        #expect(result.trust != nil && result.trust !== before)
        #expect(store.trust.revocationLists.first?.revokedCount == 1)
        #expect(store.pool.generations.count == 1, "a CRL change is not a CA generation")
        #expect(
            store.trust.sessionContext != before.sessionContext, "sessions from before the revocation do not resume")
        // The same content again: nothing to do.
        let again = store.reload(forceRead: true)
        #expect(again.crl == .unchanged && again.trust == nil)
    }

    @Test func aBrokenCRLFileChangesNothingAndIsReportedOnceNamingTheFile() throws {
        let (pki, store) = try fixture()
        let before = store.trust
        try install(pki, "client.crl", text: "garbage\n")
        let first = store.reload(forceRead: false)
        guard case .failed(let reason, let firstReport) = first.crl else {
            Issue.record("expected a failure, got \(String(describing: first.crl))")
            return
        }
        #expect(firstReport)
        #expect(reason.hasPrefix(pki.path("client.crl") + ": no CRL found"))
        #expect(first.trust == nil && store.trust === before)
        #expect(store.nextRetry != nil, "a failing CRL file is retried")
        let second = store.reload(forceRead: true)
        #expect(second.crl == .failed(reason: reason, firstReport: false), "the same failure is not reported twice")
    }

    @Test func aCRLFromACANotInThePoolChangesNothing() throws {
        let (pki, store) = try fixture()
        let before = store.trust
        try pki.ca("stranger")
        try install(pki, "client.crl", from: pki.crl("foreign", ca: "stranger"))
        let result = store.reload(forceRead: false)
        guard case .failed(let reason, _) = result.crl else {
            Issue.record("expected a failure, got \(String(describing: result.crl))")
            return
        }
        #expect(reason.contains("not signed by any CA trusted from --client-ca"))
        #expect(store.trust === before)
        #expect(store.crl?.set.entries.first?.list.issuer == "CN=issuer")
    }

    @Test func aMissingCRLFileIsAStartupError() throws {
        let pki = try TestPKI()
        try pki.ca("issuer")
        try install(pki, "clientca.pem", from: "issuer.crt")
        #expect(throws: CertificateLoadError.self) {
            try ClientCAStore(
                options: .init(
                    path: pki.path("clientca.pem"), verification: .require, depth: 4,
                    rootsLimit: 2, rootsMaxAge: nil, crlPath: pki.path("nope.crl")))
        }
    }
}
