/// `--cert FILE --key FILE` (repeatable, paired by position) and the file's `certs:` list of
/// `{cert, key}` entries; the flags replace the file's list. Not read from the environment.
public struct CertificatePairsSetting: AnySetting {
    public let info = SettingInfo(
        key: "certs", form: .structured, group: .certificates, valueName: "file", type: "list of {cert, key}",
        defaultText: "none", example: "--cert api.crt --key api.key", reload: .live,
        help: "A certificate chain file and its private key file (PEM). Repeatable; each --cert needs a --key, "
            + "paired in order.",
        flags: ["--cert", "--key"], fromEnvironment: false)

    public func resolve(_ sources: SettingSources, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError) -> ConfigurationError.Origin?
    {
        let certificates = sources.commandLine.values["--cert"] ?? []
        let keys = sources.commandLine.values["--key"] ?? []
        guard !certificates.isEmpty || !keys.isEmpty else {
            guard let file = sources.file, let pairs = file.certificatePairs else { return nil }
            configuration.certificatePairs = pairs
            return .fileKey(file: file.path, key: info.key)
        }
        if certificates.count > keys.count {
            throw ConfigurationError(
                .flag("--cert"),
                "'\(certificates[keys.count])' has no matching --key (each --cert needs a --key, in the same order)"
            )
        }
        if keys.count > certificates.count {
            throw ConfigurationError(
                .flag("--key"),
                "'\(keys[certificates.count])' has no matching --cert (each --key needs a --cert, in the same order)"
            )
        }
        var pairs: [CertificatePair] = []
        for (certificate, key) in zip(certificates, keys) {
            pairs.append(
                CertificatePair(
                    certificatePath: try Self.path(certificate, "--cert", sources.context),
                    keyPath: try Self.path(key, "--key", sources.context)))
        }
        configuration.certificatePairs = pairs
        return .flag("--cert")
    }

    private static func path(_ text: String, _ flag: String, _ context: SettingContext) throws(ConfigurationError)
        -> String
    {
        do {
            return try ValueParser.path(text, relativeTo: context.baseDirectory)
        } catch {
            throw ConfigurationError(.flag(flag), error)
        }
    }

    public func applyDefault(_ context: SettingContext, to configuration: inout ProxyConfiguration) {
        configuration.certificatePairs = []
    }

    public func differs(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool {
        lhs.certificatePairs != rhs.certificatePairs
    }

    public func copy(from source: ProxyConfiguration, to target: inout ProxyConfiguration) {
        target.certificatePairs = source.certificatePairs
    }

    public func rendered(_ configuration: ProxyConfiguration) -> RenderedValue {
        .block(
            configuration.certificatePairs.flatMap { pair in
                ["  - cert: \(YAMLText.quoted(pair.certificatePath))", "    key: \(YAMLText.quoted(pair.keyPath))"]
            })
    }
}
