import Yams

extension ConfigurationFileParser {
    /// `per-certificate: {NAME: {client-auth: ..., client-ca: ..., ...}, ...}`, in file order.
    func perCertificate(_ node: Node) throws(ConfigurationError) -> [CertificateClientOverride] {
        let key = Settings.perCertificate.info.key
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: key),
                "expected certificate names with their client-certificate settings, found \(Self.kind(of: node))"
            )
        }
        var overrides: [CertificateClientOverride] = []
        for (nameNode, entry) in mapping {
            guard let name = nameNode.scalar?.string, !name.isEmpty else {
                throw ConfigurationError(
                    .fileKey(file: path, key: key), "expected a certificate name, found \(Self.kind(of: nameNode))")
            }
            overrides.append(try override(name, entry))
        }
        return overrides
    }

    private func override(_ name: String, _ node: Node) throws(ConfigurationError) -> CertificateClientOverride {
        let prefix = "\(Settings.perCertificate.info.key).\(name)"
        var settings = ConfigurationFile(path: path, baseDirectory: baseDirectory)
        settings.keyPrefix = prefix + "."
        let allowed = Settings.perCertificateOverrides.map(\.info)
        let keys = allowed.map(\.key).joined(separator: ", ")
        if Self.isNull(node) { return CertificateClientOverride(name: name, settings: settings) }
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: prefix),
                "expected client-certificate settings (\(keys)), found \(Self.kind(of: node))"
            )
        }
        for (fieldNode, value) in mapping {
            let field = fieldNode.scalar?.string ?? "<\(Self.kind(of: fieldNode))>"
            guard let setting = allowed.first(where: { $0.key == field }) else {
                let hint = Suggestion.hint(for: field, among: allowed.map(\.key))
                throw ConfigurationError(
                    .fileKey(file: path, key: prefix), "unknown key '\(field)'\(hint); allowed: \(keys)")
            }
            if Self.isNull(value) { continue }
            try read(setting, value, into: &settings, errorKey: "\(prefix).\(field)")
        }
        return CertificateClientOverride(name: name, settings: settings)
    }
}
