/// The table of every setting: one entry each, in the order `--help`, the docs and the rendered
/// configuration file list them. The entries are grouped in the extensions of this type by their help
/// group (`Settings+Addresses.swift`, ...).
public enum Settings {
    /// Every setting, in display order.
    public static let all: [any AnySetting] =
        [config] + addressSettings + certificateSettings + reloadingSettings + tlsSettings + ocspSettings
        + runtimeSettings + accessLogSettings
        + clientCertificateSettings + upstreamProtocolSettings

    /// The settings an entry of `per-certificate:` may override.
    public static let perCertificateOverrides: [any AnySetting] = [
        clientAuth, clientCA, clientCRL, verifyDepth, allowCN, allowDNS, allowURI,
    ]

    /// The setting with this YAML key.
    public static func named(_ key: String) -> (any AnySetting)? {
        all.first { $0.info.key == key }
    }

    /// The key whose name is closest to `unknown`, if one is close enough to be a plausible typo.
    public static func suggestion(for unknown: String) -> String? {
        Suggestion.closest(to: unknown, among: all.filter(\.info.inFile).map(\.info.key))
    }

    // MARK: Configuration

    /// `--config FILE` (or `CERTGATE_CONFIG`): the YAML file itself; read before anything else is
    /// resolved, so it is not a key of the file.
    public static let config = ConfigFileSetting()
}

// MARK: - Rendering helpers shared by the entries

extension RenderedValue {
    static func duration(_ value: Duration) -> RenderedValue { .scalar(DurationSyntax.format(value)) }

    static func durationOrOff(_ value: Duration?) -> RenderedValue {
        .scalar(value.map(DurationSyntax.format) ?? "off")
    }

    static func choice<T: RawRepresentable<String>>(_ value: T) -> RenderedValue { .scalar(value.rawValue) }

    static func optionalText(_ value: String?) -> RenderedValue {
        value.map(RenderedValue.text) ?? .absent(comment: nil)
    }

    static func toggle(_ value: Bool) -> RenderedValue { .scalar(String(value)) }
}

/// `--config FILE`: where the other settings may come from. The resolver reads it first; as an entry it
/// only provides the flag, the variable and the documentation.
public struct ConfigFileSetting: AnySetting {
    public let info = SettingInfo(
        key: "config", form: .value, group: .configuration, valueName: "file", type: "path", defaultText: "none",
        example: "/etc/certgate/certgate.yaml", reload: .restart,
        help: "YAML config file with the same keys as these flags (listen:, cert-dir:, ...). Flags and "
            + "CERTGATE_* variables override it.",
        inFile: false)

    public func resolve(_ sources: SettingSources, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError) -> ConfigurationError.Origin?
    {
        nil
    }

    public func applyDefault(_ context: SettingContext, to configuration: inout ProxyConfiguration) {}
    public func differs(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool { false }
    public func copy(from source: ProxyConfiguration, to target: inout ProxyConfiguration) {}
    public func rendered(_ configuration: ProxyConfiguration) -> RenderedValue { .absent(comment: nil) }
}
