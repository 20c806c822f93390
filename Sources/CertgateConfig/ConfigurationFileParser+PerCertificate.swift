import Yams

extension ConfigurationFileParser {
    /// The top-level key of the per-certificate overrides (config file only; there is no flag).
    static let perCertificateKey = "per-certificate"

    /// `per-certificate: {NAME: {client-auth: ..., client-ca: ..., ...}, ...}`, in file order.
    func perCertificate(_ node: Node) throws(ConfigurationError) -> [CertificateClientOverride] {
        let key = Self.perCertificateKey
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: key),
                "expected certificate names with their client-certificate settings, found \(Self.kind(of: node))"
            )
        }
        var overrides: [CertificateClientOverride] = []
        for (nameNode, entry) in mapping {
            guard let name = nameNode.scalar?.string, !name.isEmpty else {
                throw ConfigurationError(.fileKey(file: path, key: key), "expected a certificate name, found \(Self.kind(of: nameNode))")
            }
            overrides.append(try override(name, entry))
        }
        return overrides
    }

    private func override(_ name: String, _ node: Node) throws(ConfigurationError) -> CertificateClientOverride {
        let entryKey = "\(Self.perCertificateKey).\(name)"
        var result = CertificateClientOverride(name: name)
        if Self.isNull(node) { return result }
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: entryKey),
                "expected client-certificate settings (\(CertificateClientOverride.keys.joined(separator: ", "))), found \(Self.kind(of: node))"
            )
        }
        for (fieldNode, value) in mapping {
            let field = fieldNode.scalar?.string ?? "<\(Self.kind(of: fieldNode))>"
            let fieldKey = "\(entryKey).\(field)"
            if Self.isNull(value), CertificateClientOverride.keys.contains(field) { continue }
            switch field {
            case "client-auth": result.clientAuth = try scalar(value, fieldKey, expecting: "none, optional or require")
            case "client-ca": result.clientCA = try resolvedPath(value, fieldKey)
            case "client-crl": result.clientCRL = try resolvedPath(value, fieldKey)
            case "verify-depth": result.verifyDepth = try scalar(value, fieldKey, expecting: "a number")
            case "allow-cn": result.allowCN = try scalarList(value, fieldKey, expecting: "a name")
            case "allow-dns": result.allowDNS = try scalarList(value, fieldKey, expecting: "a DNS name")
            case "allow-uri": result.allowURI = try scalarList(value, fieldKey, expecting: "a URI")
            default:
                let hint = Suggestion.hint(for: field, among: CertificateClientOverride.keys)
                throw ConfigurationError(
                    .fileKey(file: path, key: entryKey),
                    "unknown key '\(field)'\(hint); allowed: \(CertificateClientOverride.keys.joined(separator: ", "))"
                )
            }
        }
        return result
    }
}
