import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@Suite("Client policy follows the certificate chosen")
struct PerCertificateSelectionTests {
    private func trust(_ pki: TestPKI, _ ca: String, identity: String) throws -> ClientTrust {
        let pem = try Array(pki.read("\(ca).crt").utf8)
        return try ClientTrust(
            roots: CertifiedKey.certificates(inPEM: pem), verification: .require, depth: 4,
            identity: identity)
    }

    /// alpha (alpha.example.com, default), wild (*.example.com), exact (exact.example.com).
    private func snapshot(_ pki: TestPKI, _ trusts: ClientTrustTable) throws -> CertificateSnapshot {
        let a = try pki.leaf("alpha", san: "DNS:alpha.example.com")
        let w = try pki.leaf("wild", san: "DNS:*.example.com")
        let e = try pki.leaf("exact", san: "DNS:exact.example.com")
        let loaded = try CertificateLoader.loadAll([
            CertificateSource(name: "alpha", certificatePath: a.crt, keyPath: a.key),
            CertificateSource(name: "wild", certificatePath: w.crt, keyPath: w.key),
            CertificateSource(name: "exact", certificatePath: e.crt, keyPath: e.key),
        ])
        return try CertificateSnapshot(certificates: loaded, defaultName: "alpha", clientTrusts: trusts)
    }

    @Test func exactBeatsWildcardAndTheDefaultTakesTheRest() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try pki.ca("ca2")
        let global = try trust(pki, "ca1", identity: "global")
        let strict = try trust(pki, "ca2", identity: "wild")
        let overrides: [String: ClientTrust?] = ["wild": strict, "exact": nil, "ghost": strict]
        let table = ClientTrustTable(global: global, overrides: overrides)
        let snapshot = try snapshot(pki, table)

        let exact = try #require(snapshot.selection(forServerName: "EXACT.example.com."))
        #expect(exact.certificate === snapshot.certificate(forServerName: "exact.example.com"))
        #expect(exact.clientTrust == nil, "client-auth none on exact although the global policy requires")
        #expect(exact.sessionContext == ClientTrust.noClientCertificateSessionContext)

        let wild = try #require(snapshot.selection(forServerName: "x.example.com"))
        #expect(wild.clientTrust === strict)
        #expect(wild.sessionContext == strict.sessionContext)

        for name in [nil, "unknown.test", "a.b.example.com", "alpha.example.com"] as [String?] {
            let chosen = try #require(snapshot.selection(forServerName: name))
            #expect(chosen.certificate === snapshot.defaultCertificate.certifiedKey || name == "alpha.example.com")
            #expect(chosen.clientTrust === global, "\(name ?? "<no SNI>") gets alpha's (global) policy")
        }
        #expect(snapshot.unmatchedPolicyNames == ["ghost"])
        // A client-CA reload keeps the certificates and swaps the policies whole.
        let swapped = CertificateSnapshot(snapshot, clientTrusts: ClientTrustTable(global: strict))
        #expect(swapped.selection(forServerName: "exact.example.com")?.clientTrust === strict)
        #expect(swapped.unmatchedPolicyNames.isEmpty)
    }

    @Test func theSelectionSaysWhetherTheNameChoseTheCertificate() throws {
        let pki = try TestPKI()
        let snapshot = try snapshot(pki, ClientTrustTable())
        for name in ["exact.example.com", "EXACT.example.com.", "x.example.com", "alpha.example.com"] {
            #expect(snapshot.selection(forServerName: name)?.match == .serverName, "\(name)")
        }
        for name in [nil, "unknown.test", "a.b.example.com"] as [String?] {
            #expect(snapshot.selection(forServerName: name)?.match == .fallback, "\(name ?? "<no SNI>")")
        }
        // With one certificate, a client without SNI can only mean it; an unknown name is still unknown.
        let one = try CertificateSnapshot(certificates: [snapshot.defaultCertificate], defaultName: nil)
        #expect(one.selection(forServerName: nil)?.match == .onlyCertificate)
        #expect(one.selection(forServerName: "unknown.test")?.match == .fallback)
        #expect(one.selection(forServerName: "alpha.example.com")?.match == .serverName)
    }

    @Test func sessionContextsFollowThePolicyAndItsCAs() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try pki.ca("ca2")
        let one = try trust(pki, "ca1", identity: "a")
        let same = try trust(pki, "ca1", identity: "a")
        let other = try trust(pki, "ca1", identity: "b")
        let rotated = try trust(pki, "ca2", identity: "a")
        #expect(one.sessionContext == same.sessionContext)
        #expect(one.sessionContext != other.sessionContext, "another policy")
        #expect(one.sessionContext != rotated.sessionContext, "the same policy with other CAs (a rotation)")
        #expect(one.sessionContext != ClientTrust.noClientCertificateSessionContext)
        #expect(one.sessionContext.count == 32, "SSL_MAX_SID_CTX_LENGTH")
        // The order of the CAs does not matter.
        let both = try Array((pki.read("ca1.crt") + pki.read("ca2.crt")).utf8)
        let reversed = try Array((pki.read("ca2.crt") + pki.read("ca1.crt")).utf8)
        let forward = try ClientTrust(
            roots: CertifiedKey.certificates(inPEM: both), verification: .require, depth: 4,
            identity: "a")
        let backward = try ClientTrust(
            roots: CertifiedKey.certificates(inPEM: reversed), verification: .require,
            depth: 4, identity: "a")
        #expect(forward.sessionContext == backward.sessionContext)
    }
}
