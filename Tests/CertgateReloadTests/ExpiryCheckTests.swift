import CertgatePosix
import Foundation
import Testing

@testable import CertgateReload

@Suite("Expiry warnings")
struct ExpiryCheckTests {
    @Test func findsCertificatesInsideTheWindowSoonestFirst() throws {
        let fixture = try StoreFixture()
        try fixture.pki.leaf("soon", san: "DNS:soon.test", days: 5)
        try fixture.pki.leaf("later", san: "DNS:later.test", days: 20)
        for name in ["soon", "later"] {
            try fixture.install(
                "\(name).pem",
                String(contentsOfFile: fixture.pki.path("\(name).crt"), encoding: .utf8)
                    + String(contentsOfFile: fixture.pki.path("\(name).key"), encoding: .utf8))
        }
        let expired = try fixture.pki.expiredLeaf("gone", san: "DNS:gone.test")
        try fixture.install(
            "gone.pem",
            String(contentsOfFile: expired.crt, encoding: .utf8)
                + String(contentsOfFile: expired.key, encoding: .utf8))
        let certificates = try fixture.store(allowExpired: true).snapshot.certificates
        let now = Timestamp.now

        let fortnight = ExpiryCheck.findings(certificates, now: now, window: 14 * 86400)
        #expect(fortnight.map(\.name) == ["gone", "soon"])
        #expect(fortnight[0].daysLeft < 0)
        #expect(fortnight[1].daysLeft == 4 || fortnight[1].daysLeft == 5)
        #expect(fortnight[1].path == fixture.directory + "/soon.pem")

        #expect(
            ExpiryCheck.findings(certificates, now: now, window: 30 * 86400).map(\.name) == ["gone", "soon", "later"])
        #expect(ExpiryCheck.findings(certificates, now: now, window: 0).isEmpty, "0 disables the warnings")
    }
}
