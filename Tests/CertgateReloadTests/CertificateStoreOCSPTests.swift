import CertgateCertificates
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload

@Suite("Certificate store: OCSP response files reload with their certificate")
struct CertificateStoreOCSPTests {
    @Test func anAddedReplacedOrRemovedOCSPFileIsAChange() throws {
        let fixture = try StoreFixture()
        let leaf = try fixture.pki.leaf("a1", san: "DNS:a.test")
        let chained =
            try fixture.pki.read("a1.crt") + fixture.pki.read("ca.crt") + fixture.pki.read("a1.key")
        try fixture.install("a.pem", chained)
        try fixture.install("b.pem", fixture.issue("b1", san: "DNS:b.test").pem)
        let store = try fixture.store()
        #expect(store.snapshot.selection(forServerName: "a.test")?.ocspStaple == nil)
        // No .ocsp file is no change, and nothing is read.
        #expect(!store.hasChanges())
        #expect(store.reload(trigger: .stat, forceRead: false).sourcesRead == 0)

        let response = try fixture.pki.ocspResponse("a1", for: leaf.crt)
        // DER, not text: copied next to it, then renamed over (the usual atomic write).
        try FileManager.default.copyItem(atPath: response, toPath: fixture.directory + "/.a.ocsp.tmp")
        #expect(rename(fixture.directory + "/.a.ocsp.tmp", fixture.directory + "/a.ocsp") == 0)
        #expect(store.hasChanges())
        var report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.sourcesRead == 1, "only the certificate whose .ocsp file changed")
        #expect(report.result == .success)
        let staple = try #require(report.snapshot?.selection(forServerName: "a.test")?.ocspStaple)
        #expect(store.snapshot.certificates.first { $0.name == "a" }?.ocspLoad == .loaded)
        #expect(!store.hasChanges())

        // Garbage over it: the previous response stays while current, and the source is not failing.
        try fixture.install("a.ocsp", "garbage")
        report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.snapshot?.selection(forServerName: "a.test")?.ocspStaple === staple)
        #expect(store.failingCount == 0)

        try fixture.remove("a.ocsp")
        #expect(store.hasChanges())
        report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.snapshot?.selection(forServerName: "a.test")?.ocspStaple == nil)
        #expect(store.snapshot.certificates.first { $0.name == "a" }?.ocspLoad == nil)
    }
}
