import CertgateCertificates
import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload

@Suite("Client policies: one root pool per CA file")
struct ClientTrustPoliciesTests {
    private func policy(
        _ verification: ClientVerification?, _ ca: String?, crl: String? = nil, depth: Int = 4,
        cn: [String] = []
    ) -> ClientPolicy {
        ClientPolicy(
            verification: verification, caPath: ca, crlPath: crl, depth: depth,
            allowList: ClientAllowList(commonNames: cn))
    }

    private func install(_ pki: TestPKI, _ name: String, from ca: String) throws {
        try pki.read("\(ca).crt").write(toFile: pki.path(".tmp"), atomically: false, encoding: .utf8)
        #expect(rename(pki.path(".tmp"), pki.path(name)) == 0)
    }

    @Test func identitiesSeparateEveryField() {
        let base = policy(.require, "/ca.pem")
        let variants = [
            policy(.optional, "/ca.pem"), policy(.require, "/other.pem"), policy(.require, "/ca.pem", crl: "/c.crl"),
            policy(.require, "/ca.pem", depth: 2), policy(.require, "/ca.pem", cn: ["x"]),
            ClientPolicy(
                verification: .require, caPath: "/ca.pem", crlPath: nil, depth: 4,
                allowList: ClientAllowList(dnsNames: ["x"])),
            policy(nil, "/ca.pem"),
        ]
        for variant in variants { #expect(variant.identity != base.identity, "\(variant)") }
        #expect(policy(.require, "/ca.pem").identity == base.identity)
        #expect(policy(nil, "/ca.pem").identity == policy(nil, nil).identity, "every 'none' policy is the same")
        // Length prefixes: a field cannot run into the next one.
        #expect(policy(.require, "/a", cn: ["b,c"]).identity != policy(.require, "/a", cn: ["b", "c"]).identity)
    }

    @Test func oneStorePerDistinctCAFileAndATablePerName() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try pki.ca("ca2")
        try pki.ca("ca2b")
        try install(pki, "one.pem", from: "ca1")
        try install(pki, "two.pem", from: "ca2")
        let one = pki.path("one.pem")
        let two = pki.path("two.pem")
        let policies = try ClientTrustPolicies(
            global: policy(.require, one),
            perCertificate: [
                ("api", policy(.require, two, cn: ["agent"])), ("www", policy(nil, one)),
                ("admin", policy(.optional, one, depth: 2)),
            ],
            rootsLimit: 2, rootsMaxAge: nil)
        #expect(policies.stores.map(\.options.path) == [one, two])
        let table = policies.table
        #expect(table.trust(forCertificate: "www") == nil)
        #expect(table.trust(forCertificate: "api")?.allowList.commonNames == ["agent"])
        #expect(table.trust(forCertificate: "api")?.roots.map(\.commonName) == ["ca2"])
        #expect(table.trust(forCertificate: "admin")?.verification == .optional)
        #expect(table.trust(forCertificate: "admin")?.depth == 2)
        #expect(table.trust(forCertificate: "other")?.roots.map(\.commonName) == ["ca1"])
        #expect(
            table.trust(forCertificate: "other")?.sessionContext != table.trust(forCertificate: "admin")?.sessionContext
        )

        // Rotating the second file adds a generation to its pool only, and rebuilds the table.
        try install(pki, "two.pem", from: "ca2b")
        let result = policies.reload(forceRead: true)
        #expect(result.stores.map(\.ca) == [.unchanged, .added(evicted: 0)])
        #expect(policies.stores[0].pool.generations.count == 1)
        #expect(policies.stores[1].pool.generations.count == 2)
        let rebuilt = try #require(result.table)
        #expect(Set(rebuilt.trust(forCertificate: "api")?.roots.map(\.commonName) ?? []) == ["ca2", "ca2b"])
        #expect(rebuilt.trust(forCertificate: "other")?.roots.map(\.commonName) == ["ca1"])
        #expect(rebuilt.trust(forCertificate: "www") == nil)

        // Nothing changed: no new table.
        #expect(policies.reload(forceRead: true).table == nil)
    }

    @Test func oneCAFileWithTwoCRLFilesIsRefused() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try install(pki, "one.pem", from: "ca1")
        let one = pki.path("one.pem")
        let error = #expect(throws: ClientTrustPolicies.SetupError.self) {
            try ClientTrustPolicies(
                global: policy(.require, one),
                perCertificate: [("api", policy(.require, one, crl: pki.path("x.crl")))],
                rootsLimit: 2, rootsMaxAge: nil)
        }
        #expect(error?.setting == "per-certificate.api.client-ca")
        #expect(error?.description.contains("also used by --client-ca with no client-crl") == true)
    }

    @Test func aBrokenCRLFileIsReportedUnderItsOwnSetting() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try install(pki, "one.pem", from: "ca1")
        try "garbage\n".write(toFile: pki.path("bad.crl"), atomically: true, encoding: .utf8)
        let one = pki.path("one.pem")
        let bad = pki.path("bad.crl")
        let global = #expect(throws: ClientTrustPolicies.SetupError.self) {
            try ClientTrustPolicies(
                global: policy(.require, one, crl: bad), perCertificate: [], rootsLimit: 2,
                rootsMaxAge: nil)
        }
        #expect(global?.setting == "--client-crl", "\(String(describing: global))")
        let named = #expect(throws: ClientTrustPolicies.SetupError.self) {
            try ClientTrustPolicies(
                global: policy(nil, nil), perCertificate: [("api", policy(.require, one, crl: bad))],
                rootsLimit: 2, rootsMaxAge: nil)
        }
        #expect(named?.setting == "per-certificate.api.client-crl", "\(String(describing: named))")
        // The CA file broken as well: that is the first problem, reported under the CA setting.
        try "garbage\n".write(toFile: one, atomically: true, encoding: .utf8)
        let ca = #expect(throws: ClientTrustPolicies.SetupError.self) {
            try ClientTrustPolicies(
                global: policy(.require, one, crl: bad), perCertificate: [], rootsLimit: 2,
                rootsMaxAge: nil)
        }
        #expect(ca?.setting == "--client-ca", "\(String(describing: ca))")
    }

    @Test func aMissingPerCertificateCAFileNamesTheKey() throws {
        let pki = try TestPKI()
        try pki.ca("ca1")
        try install(pki, "one.pem", from: "ca1")
        let error = #expect(throws: ClientTrustPolicies.SetupError.self) {
            try ClientTrustPolicies(
                global: policy(nil, nil),
                perCertificate: [("api", policy(.require, pki.path("nope.pem")))],
                rootsLimit: 2, rootsMaxAge: nil)
        }
        #expect(error?.setting == "per-certificate.api.client-ca")
        #expect(error?.description.contains(pki.path("nope.pem")) == true)
    }
}
