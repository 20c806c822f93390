extension ConfigurationResolver {
    /// Resolves the file's `per-certificate:` overrides against the global client-certificate settings.
    ///
    /// Inheritance: a setting an entry leaves out takes the global value, with two exceptions that keep
    /// an entry with its own `client-ca` coherent: `client-crl` is inherited only when `client-ca` is
    /// (the global CRLs are signed by the global CAs), and `client-auth` becomes `require` when the entry
    /// sets `client-ca` while the global mode is `none` (the same default as `--client-ca` alone). The
    /// effective policy must make sense on its own: `optional`/`require`, `client-crl` and the allow-lists
    /// need a CA (the entry's or the global one).
    func perCertificatePolicies(_ file: ConfigurationFile?, global: ProxyConfiguration) throws(ConfigurationError)
        -> [CertificateClientPolicy]
    {
        guard let file, let overrides = file.perCertificate else { return [] }
        return try overrides.map { entry throws(ConfigurationError) in try policy(entry, file: file.path, global: global) }
    }

    private func policy(_ entry: CertificateClientOverride, file: String, global: ProxyConfiguration)
        throws(ConfigurationError) -> CertificateClientPolicy
    {
        let prefix = "per-certificate.\(entry.name)"
        func origin(_ key: String) -> ConfigurationError.Origin { .fileKey(file: file, key: "\(prefix).\(key)") }
        func value<Value>(_ key: String, _ text: String?, _ parse: (String) throws(ConfigurationValueError) -> Value)
            throws(ConfigurationError) -> Value?
        {
            guard let text else { return nil }
            do {
                return try parse(text)
            } catch {
                throw ConfigurationError(origin(key), error)
            }
        }
        func patterns(_ key: String, _ values: [String]?) throws(ConfigurationError) -> [String]? {
            guard let values else { return nil }
            var result: [String] = []
            for (index, text) in values.enumerated() {
                do {
                    result.append(try SettingParser.allowPattern(text))
                } catch {
                    throw ConfigurationError(.fileKey(file: file, key: "\(prefix).\(key)[\(index)]"), error)
                }
            }
            return result
        }

        let ownCA = entry.clientCA
        let clientCA = ownCA ?? global.clientCA
        let explicitAuth = try value("client-auth", entry.clientAuth, SettingParser.clientAuth)
        let clientAuth = explicitAuth ?? (ownCA != nil && global.clientAuth == .none ? .require : global.clientAuth)
        let verifyDepth = try value("verify-depth", entry.verifyDepth, SettingParser.verifyDepth) ?? global.verifyDepth
        let clientCRL = entry.clientCRL ?? (ownCA == nil ? global.clientCRL : nil)
        let allowCN = try patterns("allow-cn", entry.allowCN)
        let allowDNS = try patterns("allow-dns", entry.allowDNS)
        let allowURI = try patterns("allow-uri", entry.allowURI)

        if clientCA == nil {
            let needs = "needs 'client-ca:' in this entry or at the top level"
            if let explicitAuth, explicitAuth != .none {
                throw ConfigurationError(origin("client-auth"), "'\(explicitAuth.rawValue)' \(needs)")
            }
            if entry.clientCRL != nil { throw ConfigurationError(origin("client-crl"), needs) }
            for (key, list) in [("allow-cn", allowCN), ("allow-dns", allowDNS), ("allow-uri", allowURI)] where list != nil {
                throw ConfigurationError(origin(key), needs)
            }
        }
        return CertificateClientPolicy(
            name: entry.name, clientCA: clientCA, clientAuth: clientAuth, verifyDepth: verifyDepth, clientCRL: clientCRL,
            allowCN: allowCN ?? global.allowCN, allowDNS: allowDNS ?? global.allowDNS, allowURI: allowURI ?? global.allowURI
        )
    }
}
