import CertgateCertificates
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload

/// A configuration reload builds new client-CA stores; the rotating pool of a CA file must survive it.
@Suite("Client CA store: generations carried over a configuration reload")
struct ClientCAStoreCarryOverTests {
    private func options(_ pki: TestPKI, limit: Int) -> ClientCAStore.Options {
        .init(path: pki.path("clientca.pem"), verification: .require, depth: 4, rootsLimit: limit, rootsMaxAge: nil)
    }

    private func install(_ pki: TestPKI, _ source: String) throws {
        let text = try String(contentsOfFile: pki.path(source), encoding: .utf8)
        try text.write(toFile: pki.path(".tmp"), atomically: false, encoding: .utf8)
        #expect(rename(pki.path(".tmp"), pki.path("clientca.pem")) == 0)
    }

    @Test func thePreviousGenerationStaysTrustedUnderTheNewStore() throws {
        let pki = try TestPKI()
        try pki.ca("old")
        try pki.ca("new")
        try install(pki, "old.crt")
        let first = try ClientCAStore(options: options(pki, limit: 2))
        try install(pki, "new.crt")
        _ = first.reload(forceRead: true)
        #expect(first.pool.generations.count == 2)

        let carried = try ClientCAStore(options: options(pki, limit: 3), previous: first)
        #expect(carried.pool.generations.count == 2, "both CAs stay trusted: clients of the old one keep working")
        #expect(carried.trust.roots.count == 2)
        #expect(carried.pool.limit == 3)

        let fresh = try ClientCAStore(options: options(pki, limit: 2))
        #expect(fresh.pool.generations.count == 1, "without the previous store only the file's CA is trusted")

        let shrunk = try ClientCAStore(options: options(pki, limit: 1), previous: first)
        #expect(shrunk.pool.generations.count == 1, "a lower --roots-limit evicts the oldest generation")
        #expect(shrunk.pool.current?.id == first.pool.current?.id)
    }
}
