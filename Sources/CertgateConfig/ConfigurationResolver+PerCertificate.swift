extension ConfigurationResolver {
    /// Resolves the file's `per-certificate:` overrides against the global client-certificate settings.
    ///
    /// Each entry starts from the global configuration and applies its own values through the same
    /// settings (so they parse and fail the same way, naming `per-certificate.NAME.KEY`). Inheritance: a
    /// setting an entry leaves out keeps the global value, with two exceptions that keep an entry with
    /// its own `client-ca` coherent: `client-crl` is inherited only when `client-ca` is (the global CRLs
    /// are signed by the global CAs), and `client-auth` becomes `require` when the entry sets `client-ca`
    /// while the global mode is `none` (the same default as `--client-ca` alone). The effective policy
    /// must make sense on its own: `optional`/`require`, `client-crl` and the allow-lists need a CA (the
    /// entry's or the global one).
    func perCertificatePolicies(_ file: ConfigurationFile?, global: ProxyConfiguration) throws(ConfigurationError)
        -> [CertificateClientPolicy]
    {
        guard let overrides = file?.perCertificate else { return [] }
        return try overrides.map { entry throws(ConfigurationError) in try policy(entry, global: global) }
    }

    private func policy(_ entry: CertificateClientOverride, global: ProxyConfiguration) throws(ConfigurationError)
        -> CertificateClientPolicy
    {
        let sources = SettingSources(
            commandLine: CommandLineSettings(), environment: EnvironmentSettings(),
            file: entry.settings, context: context)
        var effective = global
        var origins = Origins()
        for setting in Settings.perCertificateOverrides {
            if let origin = try setting.resolve(sources, into: &effective) {
                origins.values[setting.info.key] = origin
            }
        }
        let ownCA = origins[Settings.clientCA] != nil
        if ownCA && origins[Settings.clientCRL] == nil {
            effective.clientCRL = nil
        }
        if ownCA && origins[Settings.clientAuth] == nil && global.clientAuth == .none {
            effective.clientAuth = .require
        }
        if effective.clientCA == nil {
            let needs = "needs 'client-ca:' in this entry or at the top level"
            if effective.clientAuth != .none, let origin = origins[Settings.clientAuth] {
                throw ConfigurationError(origin, "'\(effective.clientAuth.rawValue)' \(needs)")
            }
            for setting in [Settings.clientCRL] as [any AnySetting] + [
                Settings.allowCN, Settings.allowDNS, Settings.allowURI,
            ] {
                if let origin = origins.values[setting.info.key] {
                    throw ConfigurationError(origin, needs)
                }
            }
        }
        return CertificateClientPolicy(name: entry.name, effective)
    }
}
