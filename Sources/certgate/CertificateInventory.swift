import CertgateCertificates
import CertgateConfig
import CertgatePosix
import CertgateTLS

/// How `check` and the start-up log describe certificates.
enum CertificateInventory {
    /// One line per certificate, as `check` prints it.
    static func describe(_ certificate: LoadedCertificate, isDefault: Bool) -> String {
        let leaf = certificate.certifiedKey.leaf
        let names = leaf.serverNames.isEmpty ? "-" : leaf.serverNames.joined(separator: ",")
        var line = "\(certificate.name) names=\(names) key=\(certificate.certifiedKey.privateKey.typeDescription)"
        line += " not-after=\(Timestamp.rfc3339(leaf.notAfter)) source=\(certificate.source)"
        switch certificate.ocspLoad {
        case nil: break
        case .loaded:
            let nextUpdate = certificate.ocspStaple.map { Timestamp.rfc3339($0.nextUpdate) } ?? "-"
            line += " ocsp=stapled(next-update=\(nextUpdate))"
        case .rejected(_, let error, _):
            line += " ocsp=not-stapled(\(error.metricResult): \(error))"
        }
        if isDefault { line += " default" }
        return line
    }

    /// One line per ECDSA + RSA pair, as `check` prints it: which names they share and who gets which.
    static func describe(_ dual: DualCertificate, in snapshot: CertificateSnapshot) -> String {
        func key(_ name: String) -> String {
            snapshot.certificates.first { $0.name == name }?.certifiedKey.privateKey.typeDescription ?? "?"
        }
        return "dual \(dual.ecdsa) (\(key(dual.ecdsa))) + \(dual.rsa) (\(key(dual.rsa)))"
            + " names=\(dual.names.joined(separator: ",")): clients that support ECDSA get \(dual.ecdsa), others \(dual.rsa)"
    }

    /// A problem with the certificate's validity period right now, or `nil` when it is valid. Only
    /// reachable with `--allow-expired` (otherwise such a certificate does not load).
    static func validityProblem(_ certificate: LoadedCertificate, now: Int64) -> String? {
        let leaf = certificate.certifiedKey.leaf
        return ValidityPolicy.enforce(now: now).problem(notBefore: leaf.notBefore, notAfter: leaf.notAfter)
    }
}
