import CertgateCertificates
import CertgateConfig
import CertgateTLS

/// Finds, loads and indexes the configured certificates: the shared first step of `run` and `check`.
enum CertificateInventory {
    static func load(_ configuration: ProxyConfiguration) throws -> CertificateSnapshot {
        let sources = try CertificateSourceScanner.scan(
            directories: configuration.certificateDirectories,
            pairs: configuration.certificatePairs
        )
        let loaded = try CertificateLoader.loadAll(sources)
        return try CertificateSnapshot(certificates: loaded, defaultName: configuration.defaultCertificate)
    }

    /// One line per certificate, as `check` prints it.
    static func describe(_ certificate: LoadedCertificate, isDefault: Bool) -> String {
        let leaf = certificate.certifiedKey.leaf
        let names = leaf.serverNames.isEmpty ? "-" : leaf.serverNames.joined(separator: ",")
        var line = "\(certificate.name) names=\(names) key=\(certificate.certifiedKey.privateKey.typeDescription)"
        line += " not-after=\(Timestamp.rfc3339(leaf.notAfter)) source=\(certificate.source)"
        if isDefault { line += " default" }
        return line
    }

    /// A problem with the certificate's validity period right now, or `nil` when it is valid.
    static func validityProblem(_ certificate: LoadedCertificate, now: Int64) -> String? {
        let leaf = certificate.certifiedKey.leaf
        if leaf.notAfter < now { return "expired at \(Timestamp.rfc3339(leaf.notAfter))" }
        if leaf.notBefore > now { return "not valid before \(Timestamp.rfc3339(leaf.notBefore))" }
        return nil
    }
}
