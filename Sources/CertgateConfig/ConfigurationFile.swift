/// What a YAML config file said, after type checks but before value validation.
///
/// Scalars are kept as the text the user wrote (YAML numbers included), so the resolver can run the same
/// parser over a file value and a flag value and produce the same error for both. Two conversions happen
/// here because they depend on the YAML type: a bare integer duration means seconds (`5` becomes `5s`),
/// and a YAML float TLS version (`1.2`) becomes the string `1.2`. Paths are already absolute, resolved
/// against the file's directory. `nil` means the key is absent (or explicitly null).
public struct ConfigurationFile: Sendable, Equatable {
    /// The path as the user gave it, used in error messages.
    public var path: String
    public var listen: String?
    public var upstream: String?
    public var certificateDirectories: [String]?
    public var certificatePairs: [CertificatePair]?
    public var defaultCertificate: String?
    public var watch: String?
    public var statInterval: String?
    public var reloadInterval: String?
    /// `allow-expired` as written (`true`, `false`, or anything else for the resolver to reject).
    public var allowExpired: String?
    public var expiryWarning: String?
    public var workers: String?
    public var admin: String?
    /// `admin-token-file`, already made absolute against the file's directory.
    public var adminTokenFile: String?
    public var logFormat: String?
    public var logLevel: String?
    public var minimumTLSVersion: String?
    public var ciphers: String?
    public var ciphersuites: String?
    public var connectTimeout: String?
    public var handshakeTimeout: String?
    public var drainTimeout: String?
    /// `client-ca`, already made absolute against the file's directory.
    public var clientCA: String?
    public var clientAuth: String?
    public var verifyDepth: String?
    public var rootsLimit: String?
    public var rootsMaxAge: String?
    /// `client-crl`, already made absolute against the file's directory.
    public var clientCRL: String?
    /// `allow-cn` entries as written (a single value becomes a one-entry list).
    public var allowCN: [String]?
    public var allowDNS: [String]?
    public var allowURI: [String]?
    public var proxyProtocol: String?
    /// `forward-headers` as written (`true`, `false`, or anything else for the resolver to reject).
    public var forwardHeaders: String?
    /// `alpn` as written: a comma-separated list, or a YAML list joined with commas.
    public var alpn: String?
    /// `upstream-protocol` as written.
    public var upstreamProtocol: String?
    /// `per-certificate:` entries in file order (config file only, no flag); `nil` when absent.
    public var perCertificate: [CertificateClientOverride]?

    /// An empty file: every key absent.
    public init(path: String) {
        self.path = path
    }

    /// Reads and parses the file at `path`; a relative `path` is taken relative to `currentDirectory`.
    ///
    /// - Throws: `ConfigurationError` naming the file when it is missing, unreadable, not UTF-8, not
    ///   valid YAML (with the line), or when a key is unknown or has the wrong type (naming the key).
    public static func load(path: String, currentDirectory: String) throws(ConfigurationError) -> ConfigurationFile {
        let absolutePath = PathResolution.absolute(path, relativeTo: currentDirectory)
        let text = try ConfigurationFileReader.read(absolutePath: absolutePath, displayPath: path)
        return try parse(yaml: text, path: path, baseDirectory: PathResolution.directory(of: absolutePath))
    }

    /// Parses YAML text as if it were the file at `path`; relative paths inside resolve against
    /// `baseDirectory` (normally the file's own directory).
    public static func parse(yaml: String, path: String, baseDirectory: String) throws(ConfigurationError)
        -> ConfigurationFile
    {
        try ConfigurationFileParser(path: path, baseDirectory: baseDirectory).parse(yaml)
    }
}
