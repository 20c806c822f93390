import Foundation

/// Merges command-line flags, `CERTGATE_*` environment variables and an optional YAML config file into a
/// validated `ProxyConfiguration`, setting by setting through the table `Settings`.
///
/// Precedence, key by key: flags, then variables, then the file, then the default; for list settings a
/// higher source's list *replaces* a lower one's (never appends). Values from every source are validated
/// even when a higher one overrides them, so `certgate check` catches a broken file before the day the
/// flag is dropped. Nothing but the config file itself is read: certificate paths are made absolute but
/// not opened. The cross-checks between settings (a CRL needs a CA, h2 needs an h2c upstream, ...) run
/// after every setting has its value, and blame the place the offending value was written.
public struct ConfigurationResolver: Sendable {
    /// Base for relative paths given as flags or variables (and for a relative `--config`).
    public var currentDirectory: String
    /// What `workers: auto` becomes (clamped to 1...256).
    public var processorCount: Int

    public init(
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        processorCount: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.currentDirectory = currentDirectory
        self.processorCount = processorCount
    }

    var context: SettingContext { SettingContext(baseDirectory: currentDirectory, processorCount: processorCount) }

    /// Loads the file named by `--config` or `CERTGATE_CONFIG` (if any), then merges. This is what
    /// `certgate run`, `check` and a configuration reload call.
    public func resolve(_ commandLine: CommandLineSettings, environment: EnvironmentSettings)
        throws(ConfigurationError) -> ProxyConfiguration
    {
        try resolve(commandLine, environment: environment, file: try loadFile(commandLine, environment: environment))
    }

    /// The config file named by `--config` (or else `CERTGATE_CONFIG`), parsed; `nil` when none is named.
    public func loadFile(_ commandLine: CommandLineSettings, environment: EnvironmentSettings)
        throws(ConfigurationError) -> ConfigurationFile?
    {
        let origin: ConfigurationError.Origin
        let path: String
        if let flag = commandLine.configFile {
            (origin, path) = (.flag(Settings.config.info.flag), flag)
        } else if let name = Settings.config.info.environmentVariable, let value = environment.values[name] {
            (origin, path) = (.environment(name), value)
        } else {
            return nil
        }
        guard !path.isEmpty else { throw ConfigurationError(origin, "empty path") }
        return try ConfigurationFile.load(path: path, currentDirectory: currentDirectory)
    }

    /// Merges flags and variables with an already parsed file (`nil`: no file).
    public func resolve(
        _ commandLine: CommandLineSettings, environment: EnvironmentSettings = EnvironmentSettings(),
        file: ConfigurationFile?
    ) throws(ConfigurationError) -> ProxyConfiguration {
        let sources = SettingSources(commandLine: commandLine, environment: environment, file: file, context: context)
        var configuration = ProxyConfiguration.defaults
        var origins = Origins()
        for setting in Settings.all {
            if let origin = try setting.resolve(sources, into: &configuration) {
                origins.values[setting.info.key] = origin
            } else {
                setting.applyDefault(context, to: &configuration)
            }
        }
        for setting in [Settings.listen, Settings.upstream] where origins[setting] == nil {
            throw ConfigurationError(.none, "missing \(Self.spellings(setting.info))")
        }
        try Self.checkAddresses(configuration, origins)
        if configuration.certificateDirectories.isEmpty && configuration.certificatePairs.isEmpty {
            throw ConfigurationError(
                .none,
                "missing a certificate: give --cert-dir DIR or --cert FILE --key FILE "
                    + "(or 'cert-dir:' / 'certs:' in the config file)"
            )
        }
        if origins[Settings.clientAuth] == nil && configuration.clientCA != nil {
            configuration.clientAuth = .require
        }
        try Self.checkNeedsClientCA(configuration, origins)
        try Self.checkHTTP2(configuration, origins)
        configuration.perCertificate = try perCertificatePolicies(file, global: configuration)
        return configuration
    }

    /// Where each resolved setting came from (absent: its default).
    struct Origins {
        var values: [String: ConfigurationError.Origin] = [:]

        subscript(_ setting: some AnySetting) -> ConfigurationError.Origin? { values[setting.info.key] }
    }

    /// How a message names a setting: every way to set it.
    static func spellings(_ info: SettingInfo) -> String {
        let variable = info.environmentVariable.map { "\($0), or " } ?? ""
        return "\(info.flag) (or \(variable)'\(info.key):' in the config file)"
    }

    /// How a message about a value written at `origin` names another setting it depends on: the flag
    /// for a flag, the variable for a variable, the file key for a file key (each with the flag).
    static func name(_ info: SettingInfo, from origin: ConfigurationError.Origin?) -> String {
        switch origin {
        case .fileKey?: return "'\(info.key):' (or \(info.flag))"
        case .environment?: return "\(info.environmentVariable ?? info.flag) (or \(info.flag))"
        default: return info.flag
        }
    }

    // MARK: - Cross-checks

    /// Catches the self-inflicted loops an operator can type (proxying to the TLS listener itself, the
    /// admin listener on the TLS port; port 0 is exempt, each bind gets its own port), and a token file
    /// without the admin listener it protects.
    private static func checkAddresses(_ configuration: ProxyConfiguration, _ origins: Origins)
        throws(ConfigurationError)
    {
        let listen = configuration.listen
        if listen.port != 0 && configuration.upstream == listen, let origin = origins[Settings.upstream] {
            throw ConfigurationError(origin, "'\(listen)' is the listen address; certgate would proxy to itself")
        }
        if let admin = configuration.admin, admin.port != 0, admin == listen, let origin = origins[Settings.admin] {
            throw ConfigurationError(origin, "'\(admin)' is already the listen address")
        }
        if configuration.adminTokenFile != nil, configuration.admin == nil,
            let origin = origins[Settings.adminTokenFile]
        {
            throw ConfigurationError(origin, "needs \(name(Settings.admin.info, from: origin))")
        }
    }

    /// `--client-auth optional|require`, `--client-crl` and the allow-lists mean nothing without
    /// `--client-ca`.
    private static func checkNeedsClientCA(_ configuration: ProxyConfiguration, _ origins: Origins)
        throws(ConfigurationError)
    {
        guard configuration.clientCA == nil else { return }
        let clientCA = Settings.clientCA.info
        if configuration.clientAuth != .none, let origin = origins[Settings.clientAuth] {
            throw ConfigurationError(
                origin, "'\(configuration.clientAuth.rawValue)' needs \(name(clientCA, from: origin))")
        }
        let dependents: [any AnySetting] = [Settings.clientCRL, Settings.allowCN, Settings.allowDNS, Settings.allowURI]
        for setting in dependents {
            if let origin = origins.values[setting.info.key], setting.differs(configuration, .defaults) {
                throw ConfigurationError(origin, "needs \(name(clientCA, from: origin))")
            }
        }
    }

    /// HTTP/2 from clients:
    /// - with `--upstream-protocol http1` (the default) certgate terminates it and forwards each request
    ///   as HTTP/1.1 under the `--forward-headers` rules; the per-worker upstream pool is shared by many
    ///   clients, so a PROXY protocol header (one per upstream connection, about one client) cannot go
    ///   with it;
    /// - with `--upstream-protocol h2c` it is passed through untouched, so `--forward-headers` cannot be
    ///   combined with it: the identity fields of HTTP/2 requests would reach the upstream as the client
    ///   wrote them, spoofable by anyone.
    private static func checkHTTP2(_ configuration: ProxyConfiguration, _ origins: Origins)
        throws(ConfigurationError)
    {
        let offersH2 = configuration.alpn.contains("h2")
        let forwardHeaders = name(Settings.forwardHeaders.info, from: origins[Settings.forwardHeaders])
        if offersH2, configuration.upstreamProtocol == .http1, configuration.proxyProtocol != .off,
            let origin = origins[Settings.alpn]
        {
            throw ConfigurationError(
                origin,
                "'h2' with \(Settings.upstreamProtocol.info.flag) http1 cannot be combined with "
                    + "\(Settings.proxyProtocol.info.flag): HTTP/2 is terminated and its requests share pooled "
                    + "upstream connections, which cannot carry one client's PROXY header; offer only http/1.1"
            )
        }
        if configuration.upstreamProtocol == .h2c, configuration.forwardHeaders,
            let origin = origins[Settings.upstreamProtocol]
        {
            throw ConfigurationError(
                origin,
                "'h2c' cannot be combined with \(forwardHeaders): HTTP/2 is passed through untouched, so "
                    + "identity fields could not be rewritten"
            )
        }
    }
}
