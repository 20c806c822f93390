/// `per-certificate:` (config file only): client-certificate settings per certificate name, resolved
/// against the global ones by `ConfigurationResolver.perCertificatePolicies` once those are known.
public struct PerCertificateSetting: AnySetting {
    public let info = SettingInfo(
        key: "per-certificate", form: .structured, group: .clientCertificates, valueName: "",
        type: "mapping of certificate names to client-ca, client-auth, client-crl, verify-depth and allow-* settings",
        defaultText: "none", example: "{api: {client-ca: api-ca.pem}}", reload: .live,
        help: "Client-certificate settings per certificate name (config file only).",
        flags: [], fromEnvironment: false)

    /// Resolved later, against the global settings.
    public func resolve(_ sources: SettingSources, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError) -> ConfigurationError.Origin?
    {
        nil
    }

    public func applyDefault(_ context: SettingContext, to configuration: inout ProxyConfiguration) {
        configuration.perCertificate = []
    }

    public func differs(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool {
        lhs.perCertificate != rhs.perCertificate
    }

    public func copy(from source: ProxyConfiguration, to target: inout ProxyConfiguration) {
        target.perCertificate = source.perCertificate
    }

    /// Every policy written out in full; empty allow-lists only where they differ from the inherited
    /// global ones.
    public func rendered(_ configuration: ProxyConfiguration) -> RenderedValue {
        guard !configuration.perCertificate.isEmpty else { return .absent(comment: nil) }
        var lines: [String] = []
        for policy in configuration.perCertificate {
            lines.append("  \(YAMLText.quoted(policy.name)):")
            if let clientCA = policy.clientCA { lines.append("    client-ca: \(YAMLText.quoted(clientCA))") }
            lines.append("    client-auth: \(policy.clientAuth.rawValue)")
            lines.append("    verify-depth: \(policy.verifyDepth)")
            if let clientCRL = policy.clientCRL { lines.append("    client-crl: \(YAMLText.quoted(clientCRL))") }
            let lists = [
                (Settings.allowCN.info.key, policy.allowCN, configuration.allowCN),
                (Settings.allowDNS.info.key, policy.allowDNS, configuration.allowDNS),
                (Settings.allowURI.info.key, policy.allowURI, configuration.allowURI),
            ]
            for (key, values, inherited) in lists where !values.isEmpty || !inherited.isEmpty {
                lines.append("    \(key): [" + values.map(YAMLText.quoted).joined(separator: ", ") + "]")
            }
        }
        return .block(lines)
    }
}
