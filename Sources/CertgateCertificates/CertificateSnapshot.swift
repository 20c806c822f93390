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
    /// The ECDSA and RSA certificates that share names: each client of such a name gets the one it
    /// supports. Sorted by the ECDSA certificate's name.
    public let dualCertificates: [DualCertificate]
    /// What a client without a known name gets: the default certificate, with its RSA or ECDSA partner
    /// when it has one for its own names.
    public let defaultServed: ServedCertificate
    private let table: ServerNameTable<ServedCertificate>
    /// The client-certificate policy of each certificate (by certificate name; the global one for names
    /// without a `per-certificate:` entry).
    public let clientTrusts: ClientTrustTable

    /// - Parameter defaultName: `--default-cert`; `nil` picks the first certificate by name.
    public init(
        certificates unsorted: [LoadedCertificate], defaultName: String?,
        clientTrusts: ClientTrustTable = ClientTrustTable()
    ) throws(CertificateLoadError) {
        self.clientTrusts = clientTrusts
        // Sort the names, not the certificates: moving a `LoadedCertificate` retains and releases each of
        // its references, and sorting 10,000 of them was a quarter of a reload's CPU.
        let names = unsorted.map(\.name)
        let certificates = names.indices.sorted { names[$0].bytewiseLess(names[$1]) }.map { unsorted[$0] }
        guard let first = certificates.first else { throw .noCertificates(searched: []) }
        if let defaultName {
            guard let chosen = certificates.first(where: { $0.name == defaultName }) else {
                throw .unknownDefault(defaultName, available: certificates.map(\.name))
            }
            self.defaultCertificate = chosen
        } else {
            self.defaultCertificate = first
        }
        var table = ServerNameTable<ServedCertificate>()
        var warnings: [String] = []
        for certificate in certificates {
            let names = certificate.certifiedKey.leaf.serverNames
            if names.isEmpty {
                warnings.append(
                    "certificate '\(certificate.name)' has no DNS name or commonName; it is only served as the default")
            }
            let added = table.add(names: names, value: ServedCertificate(certificate), label: certificate.name) {
                existing, new in existing.pairing(with: new.primary)
            }
            for rejected in added {
                warnings.append("certificate '\(certificate.name)': name '\(rejected)' is not usable for SNI")
            }
        }
        for conflict in table.conflicts {
            warnings.append(
                "name '\(conflict.name)' is claimed by several certificates; '\(conflict.ignored)' does not get it (the first by certificate name wins)"
            )
        }
        self.certificates = certificates
        self.table = table
        self.warnings = warnings
        self.dualCertificates = Self.pairs(in: table)
        let chosenDefault = defaultCertificate
        self.defaultServed =
            chosenDefault.certifiedKey.leaf.serverNames.lazy.compactMap { table.lookup($0) }
            .first { $0.contains(chosenDefault.name) && $0.rsaAlternative != nil } ?? ServedCertificate(chosenDefault)
    }

    /// The names `table` merged, grouped by their pair of certificates.
    private static func pairs(in table: ServerNameTable<ServedCertificate>) -> [DualCertificate] {
        var names: [[String]: [String]] = [:]
        var order: [[String]] = []
        for (name, _) in table.merged {
            guard let served = table.lookup(name), let rsa = served.rsaAlternative else { continue }
            let key = [served.primary.name, rsa.name]
            if names[key] == nil { order.append(key) }
            names[key, default: []].append(name)
        }
        return order.sorted { $0[0].bytewiseLess($1[0]) || ($0[0] == $1[0] && $0[1].bytewiseLess($1[1])) }
            .map { DualCertificate(ecdsa: $0[0], rsa: $0[1], names: names[$0]!) }
    }

    /// The same certificates with other client-certificate policies (a client-CA or CRL reload).
    public init(_ other: CertificateSnapshot, clientTrusts: ClientTrustTable) {
        self.certificates = other.certificates
        self.defaultCertificate = other.defaultCertificate
        self.warnings = other.warnings
        self.table = other.table
        self.dualCertificates = other.dualCertificates
        self.defaultServed = other.defaultServed
        self.clientTrusts = clientTrusts
    }

    /// The certificate served for `serverName`: exact name, else wildcard, else the default one (the
    /// ECDSA one where a name has an ECDSA and an RSA certificate).
    public func loadedCertificate(forServerName serverName: String?) -> LoadedCertificate {
        served(forServerName: serverName).primary
    }

    /// What `serverName` serves: one certificate, or an ECDSA and an RSA one.
    public func served(forServerName serverName: String?) -> ServedCertificate {
        if let serverName, let hit = table.lookup(serverName) { return hit }
        return defaultServed
    }

    public func selection(forServerName serverName: String?) -> CertificateSelection? {
        let hit = serverName.flatMap { table.lookup($0) }
        let chosen = hit ?? defaultServed
        let match: CertificateSelection.Match =
            hit != nil
            ? .serverName
            : (serverName == nil && certificates.count == chosen.count ? .onlyCertificate : .fallback)
        return CertificateSelection(
            certificate: chosen.primary.certifiedKey,
            clientTrust: clientTrusts.trust(forCertificate: chosen.primary.name), match: match,
            rsaAlternative: chosen.rsaAlternative.map {
                CertificateSelection.Alternative(
                    certificate: $0.certifiedKey, clientTrust: clientTrusts.trust(forCertificate: $0.name),
                    ocspStaple: $0.ocspStaple)
            }, ocspStaple: chosen.primary.ocspStaple)
    }

    public func certificate(forServerName serverName: String?) -> CertifiedKey? {
        loadedCertificate(forServerName: serverName).certifiedKey
    }

    /// `per-certificate:` names that match no loaded certificate (their policy applies to nothing).
    public var unmatchedPolicyNames: [String] {
        let loaded = Set(certificates.map(\.name))
        return clientTrusts.overriddenNames.filter { !loaded.contains($0) }
    }

    public var count: Int { certificates.count }
}
