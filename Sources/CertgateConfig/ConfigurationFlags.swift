/// The command-line flags exactly as typed, before any validation.
///
/// Everything is a plain string (or a list of them) so that this struct can be filled by ArgumentParser,
/// by tests, or by anything else, and so that all validation happens in `ConfigurationResolver`, where
/// every error can name the flag it came from. `nil` / empty means "flag not given". The one exception
/// are the value-less switches `--allow-expired` and `--forward-headers`, each a `Bool?`: there is nothing to validate, and `nil` (not
/// given) must stay distinct from `true` so the config file's value is used when the flag is absent.
public struct ConfigurationFlags: Sendable, Equatable {
    /// `--config FILE`.
    public var configFile: String?
    public var listen: String?
    public var upstream: String?
    /// `--cert-dir`, in order; when non-empty it replaces the config file's `cert-dir` list.
    public var certificateDirectories: [String]
    /// `--cert`, in order; paired by position with `keys`.
    public var certificates: [String]
    /// `--key`, in order; paired by position with `certificates`.
    public var keys: [String]
    public var defaultCertificate: String?
    /// `--watch auto|inotify|stat|off`.
    public var watch: String?
    /// `--stat-interval DURATION`.
    public var statInterval: String?
    /// `--reload-interval DURATION|off`.
    public var reloadInterval: String?
    /// `--allow-expired`: `true` when the switch was given, `nil` when not (it has no "false" spelling).
    public var allowExpired: Bool?
    /// `--expiry-warning DURATION`.
    public var expiryWarning: String?
    public var workers: String?
    public var admin: String?
    /// `--admin-token-file FILE`, as typed (relative to the working directory).
    public var adminTokenFile: String?
    public var logFormat: String?
    public var logLevel: String?
    public var minimumTLSVersion: String?
    public var ciphers: String?
    public var ciphersuites: String?
    public var connectTimeout: String?
    public var handshakeTimeout: String?
    /// `--drain-timeout DURATION`.
    public var drainTimeout: String?
    /// `--client-ca FILE`, as typed (relative to the working directory).
    public var clientCA: String?
    /// `--client-auth none|optional|require`.
    public var clientAuth: String?
    /// `--verify-depth N`.
    public var verifyDepth: String?
    /// `--roots-limit N`.
    public var rootsLimit: String?
    /// `--roots-max-age DURATION|off`.
    public var rootsMaxAge: String?
    /// `--client-crl FILE`, as typed (relative to the working directory).
    public var clientCRL: String?
    /// `--allow-cn`, in order; when non-empty it replaces the config file's `allow-cn` list.
    public var allowCN: [String]
    /// `--allow-dns`, in order; when non-empty it replaces the config file's `allow-dns` list.
    public var allowDNS: [String]
    /// `--allow-uri`, in order; when non-empty it replaces the config file's `allow-uri` list.
    public var allowURI: [String]
    /// `--proxy-protocol off|v1|v2`.
    public var proxyProtocol: String?
    /// `--forward-headers`: `true` when the switch was given, `nil` when not.
    public var forwardHeaders: Bool?
    /// `--alpn LIST`.
    public var alpn: String?
    /// `--upstream-protocol http1|h2c`.
    public var upstreamProtocol: String?

    public init(
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
