import CertgatePosix
import CertgateTLS

/// The complete, immutable set of certificates being served, with its SNI index.
///
/// Built off the worker loops; a reload builds a new snapshot and publishes it whole. A connection keeps
/// the snapshot that was current when it was accepted, so its handshake resolves against it even if a
/// newer one is published meanwhile, and the certificates it uses stay alive as long as it does.
///
/// `Sendable`: every stored property is immutable and Sendable.
public final class CertificateSnapshot: CertificateResolver {
    /// Sorted by name.
    public let certificates: [LoadedCertificate]
    /// Served when SNI is absent or matches nothing.
    public let defaultCertificate: LoadedCertificate
    /// Non-fatal oddities found while indexing (shadowed or unusable names), for the start-up log.
    public let warnings: [String]
    private let table: ServerNameTable<CertifiedKey>
    /// The client-certificate policy handshakes use; `nil` when no client certificate is asked for.
    public let clientTrust: ClientTrust?

    /// - Parameter defaultName: `--default-cert`; `nil` picks the first certificate by name.
    public init(certificates unsorted: [LoadedCertificate], defaultName: String?, clientTrust: ClientTrust? = nil)
        throws(CertificateLoadError)
    {
        self.clientTrust = clientTrust
        let certificates = unsorted.sorted { $0.name.bytewiseLess($1.name) }
        guard let first = certificates.first else { throw .noCertificates(searched: []) }
        if let defaultName {
            guard let chosen = certificates.first(where: { $0.name == defaultName }) else {
                throw .unknownDefault(defaultName, available: certificates.map(\.name))
            }
            self.defaultCertificate = chosen
        } else {
            self.defaultCertificate = first
        }
        var table = ServerNameTable<CertifiedKey>()
        var warnings: [String] = []
        for certificate in certificates {
            let names = certificate.certifiedKey.leaf.serverNames
            if names.isEmpty {
                warnings.append("certificate '\(certificate.name)' has no DNS name or commonName; it is only served as the default")
            }
            for rejected in table.add(names: names, value: certificate.certifiedKey, label: certificate.name) {
                warnings.append("certificate '\(certificate.name)': name '\(rejected)' is not usable for SNI")
            }
        }
        for conflict in table.conflicts {
            warnings.append("name '\(conflict.name)' is claimed by several certificates; '\(conflict.ignored)' does not get it (the first by certificate name wins)")
        }
        self.certificates = certificates
        self.table = table
        self.warnings = warnings
    }

    /// The same certificates with another client-certificate policy (a client-CA reload).
    public init(_ other: CertificateSnapshot, clientTrust: ClientTrust?) {
        self.certificates = other.certificates
        self.defaultCertificate = other.defaultCertificate
        self.warnings = other.warnings
        self.table = other.table
        self.clientTrust = clientTrust
    }

    public func clientTrust(forServerName serverName: String?) -> ClientTrust? {
        clientTrust
    }

    public func certificate(forServerName serverName: String?) -> CertifiedKey? {
        if let serverName, let hit = table.lookup(serverName) { return hit }
        return defaultCertificate.certifiedKey
    }

    public var count: Int { certificates.count }
}
