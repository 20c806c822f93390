/// The command-line flags exactly as typed, before any validation.
///
/// Everything is a plain string (or a list of them) so that this struct can be filled by ArgumentParser,
/// by tests, or by anything else, and so that all validation happens in `ConfigurationResolver`, where
/// every error can name the flag it came from. `nil` / empty means "flag not given".
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
    public var workers: String?
    public var admin: String?
    public var logFormat: String?
    public var logLevel: String?
    public var minimumTLSVersion: String?
    public var ciphers: String?
    public var ciphersuites: String?
    public var connectTimeout: String?
    public var handshakeTimeout: String?

    public init(
        configFile: String? = nil,
        listen: String? = nil,
        upstream: String? = nil,
        certificateDirectories: [String] = [],
        certificates: [String] = [],
        keys: [String] = [],
        defaultCertificate: String? = nil,
        workers: String? = nil,
        admin: String? = nil,
        logFormat: String? = nil,
        logLevel: String? = nil,
        minimumTLSVersion: String? = nil,
        ciphers: String? = nil,
        ciphersuites: String? = nil,
        connectTimeout: String? = nil,
        handshakeTimeout: String? = nil
    ) {
        self.configFile = configFile
        self.listen = listen
        self.upstream = upstream
        self.certificateDirectories = certificateDirectories
        self.certificates = certificates
        self.keys = keys
        self.defaultCertificate = defaultCertificate
        self.workers = workers
        self.admin = admin
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.minimumTLSVersion = minimumTLSVersion
        self.ciphers = ciphers
        self.ciphersuites = ciphersuites
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
    }
}
