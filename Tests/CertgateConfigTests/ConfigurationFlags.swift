@testable import CertgateConfig

/// Test helper: the flags of a command line as named fields (the old ConfigurationFlags), turned into
/// the argument list `CommandLineSettings` reads. Tests set fields; the resolver sees real arguments.
/// The remaining lines of the original doc comment follow.
///
/// Everything is a plain string (or a list of them) so that this struct can be filled by ArgumentParser,
/// by tests, or by anything else, and so that all validation happens in `ConfigurationResolver`, where
/// every error can name the flag it came from. `nil` / empty means "flag not given". The one exception
/// are the value-less switches `--allow-expired` and `--forward-headers`, each a `Bool?`: there is nothing to validate, and `nil` (not
/// given) must stay distinct from `true` so the config file's value is used when the flag is absent.
struct ConfigurationFlags: Sendable, Equatable {
    /// `--config FILE`.
    var configFile: String?
    var listen: String?
    var upstream: String?
    /// `--cert-dir`, in order; when non-empty it replaces the config file's `cert-dir` list.
    var certificateDirectories: [String]
    /// `--cert`, in order; paired by position with `keys`.
    var certificates: [String]
    /// `--key`, in order; paired by position with `certificates`.
    var keys: [String]
    var defaultCertificate: String?
    /// `--watch auto|inotify|stat|off`.
    var watch: String?
    /// `--stat-interval DURATION`.
    var statInterval: String?
    /// `--reload-interval DURATION|off`.
    var reloadInterval: String?
    /// `--allow-expired`: `true` when the switch was given, `nil` when not (this helper never writes `--no-allow-expired`).
    var allowExpired: Bool?
    /// `--expiry-warning DURATION`.
    var expiryWarning: String?
    var workers: String?
    var admin: String?
    /// `--admin-token-file FILE`, as typed (relative to the working directory).
    var adminTokenFile: String?
    var logFormat: String?
    var logLevel: String?
    var minimumTLSVersion: String?
    var ciphers: String?
    var ciphersuites: String?
    var connectTimeout: String?
    var handshakeTimeout: String?
    /// `--drain-timeout DURATION`.
    var drainTimeout: String?
    /// `--client-ca FILE`, as typed (relative to the working directory).
    var clientCA: String?
    /// `--client-auth none|optional|require`.
    var clientAuth: String?
    /// `--verify-depth N`.
    var verifyDepth: String?
    /// `--roots-limit N`.
    var rootsLimit: String?
    /// `--roots-max-age DURATION|off`.
    var rootsMaxAge: String?
    /// `--client-crl FILE`, as typed (relative to the working directory).
    var clientCRL: String?
    /// `--allow-cn`, in order; when non-empty it replaces the config file's `allow-cn` list.
    var allowCN: [String]
    /// `--allow-dns`, in order; when non-empty it replaces the config file's `allow-dns` list.
    var allowDNS: [String]
    /// `--allow-uri`, in order; when non-empty it replaces the config file's `allow-uri` list.
    var allowURI: [String]
    /// `--proxy-protocol off|v1|v2`.
    var proxyProtocol: String?
    /// `--forward-headers`: `true` when the switch was given, `nil` when not.
    var forwardHeaders: Bool?
    /// `--alpn LIST`.
    var alpn: String?
    /// `--upstream-protocol http1|h2c`.
    var upstreamProtocol: String?

    init(
        configFile: String? = nil,
        listen: String? = nil,
        upstream: String? = nil,
        certificateDirectories: [String] = [],
        certificates: [String] = [],
        keys: [String] = [],
        defaultCertificate: String? = nil,
        watch: String? = nil,
        statInterval: String? = nil,
        reloadInterval: String? = nil,
        allowExpired: Bool? = nil,
        expiryWarning: String? = nil,
        workers: String? = nil,
        admin: String? = nil,
        adminTokenFile: String? = nil,
        logFormat: String? = nil,
        logLevel: String? = nil,
        minimumTLSVersion: String? = nil,
        ciphers: String? = nil,
        ciphersuites: String? = nil,
        connectTimeout: String? = nil,
        handshakeTimeout: String? = nil,
        drainTimeout: String? = nil,
        clientCA: String? = nil,
        clientAuth: String? = nil,
        verifyDepth: String? = nil,
        rootsLimit: String? = nil,
        rootsMaxAge: String? = nil,
        clientCRL: String? = nil,
        allowCN: [String] = [],
        allowDNS: [String] = [],
        allowURI: [String] = [],
        proxyProtocol: String? = nil,
        forwardHeaders: Bool? = nil,
        alpn: String? = nil,
        upstreamProtocol: String? = nil
    ) {
        self.configFile = configFile
        self.listen = listen
        self.upstream = upstream
        self.certificateDirectories = certificateDirectories
        self.certificates = certificates
        self.keys = keys
        self.defaultCertificate = defaultCertificate
        self.watch = watch
        self.statInterval = statInterval
        self.reloadInterval = reloadInterval
        self.allowExpired = allowExpired
        self.expiryWarning = expiryWarning
        self.workers = workers
        self.admin = admin
        self.adminTokenFile = adminTokenFile
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.minimumTLSVersion = minimumTLSVersion
        self.ciphers = ciphers
        self.ciphersuites = ciphersuites
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.drainTimeout = drainTimeout
        self.clientCA = clientCA
        self.clientAuth = clientAuth
        self.verifyDepth = verifyDepth
        self.rootsLimit = rootsLimit
        self.rootsMaxAge = rootsMaxAge
        self.clientCRL = clientCRL
        self.allowCN = allowCN
        self.allowDNS = allowDNS
        self.allowURI = allowURI
        self.proxyProtocol = proxyProtocol
        self.forwardHeaders = forwardHeaders
        self.alpn = alpn
        self.upstreamProtocol = upstreamProtocol
    }
}

extension ConfigurationFlags {
    /// The fields as command-line arguments, in the table's flag spelling.
    var arguments: [String] {
        var out: [String] = []
        func add(_ flag: String, _ value: String?) { if let value { out += ["--" + flag, value] } }
        func addAll(_ flag: String, _ values: [String]) { for value in values { out += ["--" + flag, value] } }
        func toggle(_ flag: String, _ value: Bool?) { if value == true { out.append("--" + flag) } }
        add("config", configFile)
        add("listen", listen)
        add("upstream", upstream)
        addAll("cert-dir", certificateDirectories)
        addAll("cert", certificates)
        addAll("key", keys)
        add("default-cert", defaultCertificate)
        add("watch", watch)
        add("stat-interval", statInterval)
        add("reload-interval", reloadInterval)
        toggle("allow-expired", allowExpired)
        add("expiry-warning", expiryWarning)
        add("workers", workers)
        add("admin", admin)
        add("admin-token-file", adminTokenFile)
        add("log-format", logFormat)
        add("log-level", logLevel)
        add("min-tls", minimumTLSVersion)
        add("ciphers", ciphers)
        add("ciphersuites", ciphersuites)
        add("connect-timeout", connectTimeout)
        add("handshake-timeout", handshakeTimeout)
        add("drain-timeout", drainTimeout)
        add("client-ca", clientCA)
        add("client-auth", clientAuth)
        add("verify-depth", verifyDepth)
        add("roots-limit", rootsLimit)
        add("roots-max-age", rootsMaxAge)
        add("client-crl", clientCRL)
        addAll("allow-cn", allowCN)
        addAll("allow-dns", allowDNS)
        addAll("allow-uri", allowURI)
        add("proxy-protocol", proxyProtocol)
        toggle("forward-headers", forwardHeaders)
        add("alpn", alpn)
        add("upstream-protocol", upstreamProtocol)
        return out
    }

    var commandLine: CommandLineSettings {
        get throws(ConfigurationError) { try CommandLineSettings(arguments: arguments) }
    }
}

extension ConfigurationResolver {
    /// Resolves the flags against an already parsed file (no environment).
    func resolve(_ flags: ConfigurationFlags, file: ConfigurationFile?) throws(ConfigurationError) -> ProxyConfiguration
    {
        try resolve(try flags.commandLine, environment: EnvironmentSettings(), file: file)
    }

    /// Loads `--config` when given, then resolves (no environment).
    func resolve(_ flags: ConfigurationFlags) throws(ConfigurationError) -> ProxyConfiguration {
        try resolve(try flags.commandLine, environment: EnvironmentSettings())
    }
}

/// Test helper: the defaults under the names the tests used before the setting table.
enum ConfigurationDefaults {
    static let watchMode = ProxyConfiguration.defaults.watchMode
    static let statInterval = ProxyConfiguration.defaults.statInterval
    static let reloadInterval = ProxyConfiguration.defaults.reloadInterval
    static let allowExpired = ProxyConfiguration.defaults.allowExpired
    static let expiryWarning = ProxyConfiguration.defaults.expiryWarning
    static let drainTimeout = ProxyConfiguration.defaults.drainTimeout
    static let clientAuth = ProxyConfiguration.defaults.clientAuth
    static let verifyDepth = ProxyConfiguration.defaults.verifyDepth
    static let rootsLimit = ProxyConfiguration.defaults.rootsLimit
    static let rootsMaxAge = ProxyConfiguration.defaults.rootsMaxAge
    static let proxyProtocol = ProxyConfiguration.defaults.proxyProtocol
    static let forwardHeaders = ProxyConfiguration.defaults.forwardHeaders
    static let adminTokenFile = ProxyConfiguration.defaults.adminTokenFile
}

/// Test helper: a parsed file's values under the names the tests used before the setting table (paths
/// made absolute against the file's directory, as the resolver does).
extension ConfigurationFile {
    private func path(_ text: String) -> String { PathResolution.absolute(text, relativeTo: baseDirectory) }
    var listen: String? { text("listen") }
    var upstream: String? { text("upstream") }
    var admin: String? { text("admin") }
    var adminTokenFile: String? { text("admin-token-file").map(path) }
    var certificateDirectories: [String]? { values["cert-dir"]?.items.map(path) }
    var defaultCertificate: String? { text("default-cert") }
    var watch: String? { text("watch") }
    var statInterval: String? { text("stat-interval") }
    var reloadInterval: String? { text("reload-interval") }
    var allowExpired: String? { text("allow-expired") }
    var expiryWarning: String? { text("expiry-warning") }
    var workers: String? { text("workers") }
    var logFormat: String? { text("log-format") }
    var logLevel: String? { text("log-level") }
    var minimumTLSVersion: String? { text("min-tls") }
    var connectTimeout: String? { text("connect-timeout") }
    var handshakeTimeout: String? { text("handshake-timeout") }
    var drainTimeout: String? { text("drain-timeout") }
    var clientAuth: String? { text("client-auth") }
    var verifyDepth: String? { text("verify-depth") }
    var rootsLimit: String? { text("roots-limit") }
    var rootsMaxAge: String? { text("roots-max-age") }
    var proxyProtocol: String? { text("proxy-protocol") }
    var forwardHeaders: String? { text("forward-headers") }
}

/// Test helper: the memberwise initializer the tests used before the setting table.
extension ProxyConfiguration {
    init(
        listen: SocketEndpoint, upstream: SocketEndpoint, certificateDirectories: [String] = [],
        certificatePairs: [CertificatePair] = [], defaultCertificate: String? = nil, watchMode: WatchMode = .auto,
        statInterval: Duration = .seconds(1), reloadInterval: Duration? = nil, allowExpired: Bool = false,
        expiryWarning: Duration = ConfigurationDefaults.expiryWarning, workers: Int = 1, admin: SocketEndpoint? = nil,
        adminTokenFile: String? = nil, logFormat: LogFormat = .text, logLevel: LogLevel = .info,
        minimumTLSVersion: TLSVersion = .v1_2, ciphers: String? = nil, ciphersuites: String? = nil,
        connectTimeout: Duration = .seconds(5), handshakeTimeout: Duration = .seconds(10),
        drainTimeout: Duration = ConfigurationDefaults.drainTimeout
    ) {
        self.init(listen: listen, upstream: upstream)
        self.certificateDirectories = certificateDirectories
        self.certificatePairs = certificatePairs
        self.defaultCertificate = defaultCertificate
        self.watchMode = watchMode
        self.statInterval = statInterval
        self.reloadInterval = reloadInterval
        self.allowExpired = allowExpired
        self.expiryWarning = expiryWarning
        self.workers = workers
        self.admin = admin
        self.adminTokenFile = adminTokenFile
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.minimumTLSVersion = minimumTLSVersion
        self.ciphers = ciphers
        self.ciphersuites = ciphersuites
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.drainTimeout = drainTimeout
    }
}
