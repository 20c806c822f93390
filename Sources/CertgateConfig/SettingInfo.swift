/// The untyped description of a setting: names, shape and documentation.
public struct SettingInfo: Sendable {
    /// The YAML key; the flag is the key with two dashes and the environment variable is `CERTGATE_`
    /// and the key in capitals with underscores (`cert-dir`, `--cert-dir`,
    /// `CERTGATE_CERT_DIR`).
    public let key: String
    public let form: SettingForm
    public let group: SettingGroup
    /// The placeholder of the value in `--help` (`duration`, `host:port`); empty for switches.
    public let valueName: String
    /// The "Type" column of the docs table.
    public let type: String
    /// The default as the docs and `--help` show it.
    public let defaultText: String
    /// An example value for the docs table.
    public let example: String
    public let reload: SettingReload
    /// The `--help` text, without the default.
    public let help: String
    /// Flags other than `--KEY` that set it (`--cert`/`--key` for `certs`); empty for most settings.
    public let flags: [String]
    /// Whether it can be set from the environment.
    public let fromEnvironment: Bool
    /// Whether it can be set in the config file (`config` itself cannot).
    public let inFile: Bool

    init(
        key: String, form: SettingForm, group: SettingGroup, valueName: String, type: String, defaultText: String,
        example: String, reload: SettingReload, help: String, flags: [String]? = nil, fromEnvironment: Bool = true,
        inFile: Bool = true
    ) {
        self.key = key
        self.form = form
        self.group = group
        self.valueName = valueName
        self.type = type
        self.defaultText = defaultText
        self.example = example
        self.reload = reload
        self.help = help
        self.flags = flags ?? ["--" + key]
        self.fromEnvironment = fromEnvironment
        self.inFile = inFile
    }

    /// The flag as messages and help show it.
    public var flag: String { flags.first ?? "--" + key }

    /// `--no-KEY` for a setting that is true or false (a switch like `--strict-sni`, or a value like
    /// `--tcp-keepalive true|false`): it sets `false`, so the command line can turn off a `true` from the
    /// config file or the environment. `nil` for every other setting.
    public var negatedFlag: String? {
        guard !flags.isEmpty, form == .toggle || valueName == "true|false" else { return nil }
        return "--no-" + key
    }

    /// The environment variable that sets it, when it can be set from the environment.
    public var environmentVariable: String? {
        fromEnvironment ? Self.environmentPrefix + key.uppercased().replacingOccurrences(of: "-", with: "_") : nil
    }

    /// Every variable certgate reads starts with this.
    public static let environmentPrefix = "CERTGATE_"
}

/// How a setting is written.
public enum SettingForm: Sendable, Equatable {
    /// `--flag VALUE` (the last one wins), a YAML scalar, one environment variable.
    case value
    /// Like `value`; a bare YAML integer means seconds (`handshake-timeout: 5`).
    case duration
    /// Like `value`; the unquoted YAML float `1.2` is the version `1.2`.
    case version
    /// `--flag` without a value; `true` or `false` in YAML and the environment.
    case toggle
    /// A repeatable flag; a YAML scalar or list; a comma-separated environment variable.
    case list
    /// One comma-separated value (`--alpn h2,http/1.1`); in YAML also a list, joined with commas.
    case commaList
    /// Its own shape (`certs`, `per-certificate`); read by the setting itself.
    case structured
}

/// The group a setting is listed under in `--help` and the docs.
public enum SettingGroup: String, CaseIterable, Sendable {
    case configuration = "Configuration"
    case addresses = "Addresses"
    case certificates = "Certificates"
    case reloading = "Reloading"
    case tls = "TLS"
    case runtime = "Runtime"
    case clientCertificates = "Client certificates"
    case upstreamProtocol = "Upstream protocol and client identity"
}

/// Whether a configuration reload (SIGHUP, `POST /reload`) can change a setting.
public enum SettingReload: String, Sendable {
    /// A new value applies to new connections (and new handshakes) after the reload.
    case live
    /// A new value is reported and ignored until certgate restarts.
    case restart
}
