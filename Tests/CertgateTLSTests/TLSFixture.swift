import CertgateCertificates
import CertgateTLS
import CertgateTestSupport

/// The certificates, keys and CRLs the handshake tests use, made once per test process with the openssl
/// command line (`TestPKI`) and held in memory; the temporary directory is gone once `shared` is built.
///
/// Served certificates, all issued by "Test CA": `alpha` (alpha.example.com, the default), `wild`
/// (*.example.com) and `exact` (exact.example.com). Client certificates, also from "Test CA": `client`,
/// `expiredClient` (expired nine days ago) and `revokedClient` (on `revokingCRL`). `otherCAPEM` is a second,
/// unrelated CA ("ca2"); `foreignCRL` is a CRL it issued (no CRL for "Test CA" in it).
///
/// `Sendable`: every stored property is immutable and Sendable; Swift Testing runs the suites in parallel.
final class TLSFixture: Sendable {
    /// A client certificate and its key, PEM.
    struct ClientIdentity: Sendable {
        let certificatePEM: [UInt8]
        let keyPEM: [UInt8]
    }

    let certificates: [LoadedCertificate]
    let caPEM: [UInt8]
    let otherCAPEM: [UInt8]
    let client: ClientIdentity
    let expiredClient: ClientIdentity
    let revokedClient: ClientIdentity
    let revokingCRL: [UInt8]
    let foreignCRL: [UInt8]

    /// Built on first use (Swift's lazy global initialisation is thread-safe); a failure is reported by
    /// every test that needs it.
    private static let shared = Result { try TLSFixture() }

    static func get() throws -> TLSFixture {
        try shared.get()
    }

    private init() throws {
        let pki = try TestPKI()
        let alpha = try pki.leaf("alpha", san: "DNS:alpha.example.com")
        let wild = try pki.leaf("wild", san: "DNS:*.example.com")
        let exact = try pki.leaf("exact", san: "DNS:exact.example.com")
        certificates = try CertificateLoader.loadAll([
            CertificateSource(name: "alpha", certificatePath: alpha.crt, keyPath: alpha.key),
            CertificateSource(name: "wild", certificatePath: wild.crt, keyPath: wild.key),
            CertificateSource(name: "exact", certificatePath: exact.crt, keyPath: exact.key),
        ])
        try pki.ca("ca2")
        caPEM = try Array(pki.read("ca.crt").utf8)
        otherCAPEM = try Array(pki.read("ca2.crt").utf8)

        func identity(_ name: String) throws -> ClientIdentity {
            ClientIdentity(
                certificatePEM: try Array(pki.read("\(name).crt").utf8),
                keyPEM: try Array(pki.read("\(name).key").utf8))
        }
        try pki.leaf("client", san: "DNS:client.clients.test")
        client = try identity("client")
        try pki.expiredLeaf("expired", san: "DNS:expired.clients.test")
        expiredClient = try identity("expired")
        let revoked = try pki.leaf("revoked", san: "DNS:revoked.clients.test")
        revokedClient = try identity("revoked")
        try pki.crl("revoking", revoking: [revoked.crt])
        revokingCRL = try Array(pki.read("revoking.crl").utf8)
        try pki.crl("foreign", ca: "ca2")
        foreignCRL = try Array(pki.read("foreign.crl").utf8)
    }

    /// The three served certificates, `alpha` the default, under `policies`.
    func snapshot(_ policies: ClientTrustTable = ClientTrustTable()) throws -> CertificateSnapshot {
        try CertificateSnapshot(certificates: certificates, defaultName: "alpha", clientTrusts: policies)
    }

    /// A client-certificate policy trusting the CAs in `caBundles` (default: "Test CA").
    func trust(
        _ verification: ClientVerification = .require, identity: String, caBundles: [[UInt8]]? = nil,
        allowList: ClientAllowList = ClientAllowList(), crls: [[UInt8]] = []
    ) throws -> ClientTrust {
        let roots = try (caBundles ?? [caPEM]).flatMap { try CertifiedKey.certificates(inPEM: $0) }
        let lists = try crls.flatMap { try RevocationList.revocationLists(inPEM: $0) }
        return try ClientTrust(
            roots: roots, verification: verification, depth: 4, allowList: allowList,
            revocationLists: lists, identity: identity)
    }
}
