import CertgateCertificates
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload
@testable import CertgateTLS

/// A client-CA reload prepares the new pool, the new CRLs and the new trust before it changes anything:
/// when the trust cannot be built, the store stays exactly as it was and tries again later.
@Suite("Client CA store: a reload commits all or nothing")
struct ClientCAStoreCommitTests {
    /// Builds trusts like `ClientTrust.init` while `failing` is false, fails like OpenSSL otherwise.
    private final class Builder {
        var failing = false

        func build(
            _ roots: [Certificate], _ verification: ClientVerification, _ depth: Int, _ allowList: ClientAllowList,
            _ lists: [RevocationList], _ identity: String
        ) throws(OpenSSLError) -> ClientTrust {
            if failing { throw OpenSSLError(entries: ["x509 certificate routines: malloc failure"], firstCode: 0) }
            return try ClientTrust(
                roots: roots, verification: verification, depth: depth, allowList: allowList,
                revocationLists: lists, identity: identity)
        }
    }

    private func install(_ pki: TestPKI, _ name: String, from source: String) throws {
        let text = try String(contentsOfFile: source.hasPrefix("/") ? source : pki.path(source), encoding: .utf8)
        try text.write(toFile: pki.path(".tmp"), atomically: false, encoding: .utf8)
        #expect(rename(pki.path(".tmp"), pki.path(name)) == 0)
    }

    @Test func aTrustThatCannotBeBuiltChangesNothingAndIsRetried() throws {
        let pki = try TestPKI()
        try pki.ca("old")
        try pki.ca("new")
        try install(pki, "clientca.pem", from: "old.crt")
        try install(pki, "client.crl", from: pki.crl("empty", ca: "old"))
        let builder = Builder()
        let store = try ClientCAStore(
            options: .init(
                path: pki.path("clientca.pem"), verification: .require, depth: 4, rootsLimit: 2,
                rootsMaxAge: nil, crlPath: pki.path("client.crl")),
            buildTrust: builder.build)
        let trust = store.trust
        let generations = store.pool.generations.map(\.id)
        let crls = store.crl?.set.lists.map(\.sha256Fingerprint)

        // A new CA and a new CRL arrive; building their trust fails.
        try install(pki, "clientca.pem", from: "new.crt")
        try install(pki, "client.crl", from: pki.crl("second", ca: "old", revoking: [pki.leaf("gone", san: nil).crt]))
        builder.failing = true
        let failed = store.reload(forceRead: false)
        guard case .failed(let reason, true) = failed.ca else {
            Issue.record("expected a reported failure, got \(failed.ca)")
            return
        }
        #expect(reason.contains("cannot build the trust store"))
        #expect(failed.trust == nil)
        #expect(failed.crl == .unchanged, "the new CRLs were not taken")
        #expect(store.trust === trust)
        #expect(store.pool.generations.map(\.id) == generations, "no generation entered")
        #expect(store.crl?.set.lists.map(\.sha256Fingerprint) == crls)
        #expect(store.isFailing && store.nextRetry != nil, "retried with backoff")
        #expect(store.hasChanges(), "both files still count as unread")

        // Once the trust can be built, the same files go in: nothing of them was marked as seen.
        builder.failing = false
        let recovered = store.reload(forceRead: false)
        #expect(recovered.ca == .added(evicted: 0))
        #expect(recovered.crl == .updated)
        let rebuilt = try #require(recovered.trust)
        #expect(store.trust === rebuilt)
        #expect(store.pool.generations.count == 2)
        #expect(store.crl?.set.lists.first?.revokedCount == 1)
        #expect(!store.isFailing)
        #expect(!store.hasChanges())
    }
}
