/// The fully resolved, validated configuration of one certgate process.
///
/// Produced by `ConfigurationResolver` from command-line flags and an optional YAML file (flags win).
/// Every value here has already been checked: a `ProxyConfiguration` that exists is one the proxy can
/// try to start with. File contents (certificates, keys) are not read here; that is the certificate
/// loader's job.
public struct ProxyConfiguration: Sendable, Equatable {
    /// Where clients connect (TLS).
    public var listen: SocketEndpoint
    /// Where plaintext is forwarded.
    public var upstream: SocketEndpoint
    /// `--cert-dir` directories, in the order given (flags first, then the file's list when no flag).
    public var certificateDirectories: [String]
    /// `--cert FILE --key FILE` pairs, in the order given.
    public var certificatePairs: [CertificatePair]
    /// `--default-cert NAME`: the certificate served when SNI is absent or matches nothing.
    /// `nil` means "the first certificate by name".
    public var defaultCertificate: String?
    /// How certificate changes are noticed without a SIGHUP (`--watch`).
    public var watchMode: WatchMode
    /// Period of the stat() check that `auto` and `stat` watching run (`--stat-interval`), 50ms...1h.
    public var statInterval: Duration
    /// Period of a forced full re-read of every certificate source (`--reload-interval`), at least 1s;
    /// `nil` when off.
    public var reloadInterval: Duration?
    /// Serve certificates that are expired or not yet valid instead of refusing them (`--allow-expired`).
    public var allowExpired: Bool
    /// Certificates that expire within this period are warned about (`--expiry-warning`), 0...365d;
    /// zero turns the warnings off.
    public var expiryWarning: Duration
    /// Number of worker threads (already resolved: `auto` became the core count).
    public var workers: Int
    /// Admin HTTP listener (`/healthz`, `/metrics`); `nil` when disabled.
    public var admin: SocketEndpoint?
    /// File holding the bearer token the admin listener requires on everything but `/healthz` and
    /// `/readyz` (`--admin-token-file`), as an absolute path; `nil` when no token is required. Only set
    /// together with `admin`.
    public var adminTokenFile: String?
    public var logFormat: LogFormat
    public var logLevel: LogLevel
    public var minimumTLSVersion: TLSVersion
    /// OpenSSL cipher list for TLS 1.2 (`--ciphers`); `nil` keeps certgate's hardened default.
    public var ciphers: String?
    /// OpenSSL TLS 1.3 ciphersuites (`--ciphersuites`); `nil` keeps certgate's default (AES-128-GCM first).
    public var ciphersuites: String?
    /// Upper bound for a non-blocking upstream connect (`--connect-timeout`).
    public var connectTimeout: Duration
    /// Upper bound for a client to complete the TLS handshake (`--handshake-timeout`).
    public var handshakeTimeout: Duration
    /// How long a stop waits for open connections to finish before closing them (`--drain-timeout`),
    /// 0...1h; zero closes them at once.
    public var drainTimeout: Duration
    /// PEM bundle of the CAs that client certificates must chain to (`--client-ca`), as an absolute
    /// path; `nil` when clients are not asked for certificates.
    public var clientCA: String?
    /// Whether a client certificate is asked for and required (`--client-auth`). `optional` and
    /// `require` only occur together with `clientCA`.
    public var clientAuth: ClientAuthMode
    /// The longest client certificate chain accepted (`--verify-depth`), 1...16.
    public var verifyDepth: Int
    /// How many client-CA generations are trusted at once during a rotation (`--roots-limit`), 1...16.
    public var rootsLimit: Int
    /// How long a superseded client-CA generation stays trusted (`--roots-max-age`), at least 1m;
    /// `nil` when off (generations are only evicted by `rootsLimit`).
    public var rootsMaxAge: Duration?
    /// PEM CRL file checked against client certificates (`--client-crl`), as an absolute path; only set
    /// together with `clientCA`.
    public var clientCRL: String?
    /// Accepted client certificate subject common names (`--allow-cn`), as written; empty means any.
    public var allowCN: [String]
    /// Accepted client certificate DNS subject alternative names (`--allow-dns`), as written.
    public var allowDNS: [String]
    /// Accepted client certificate URI subject alternative names (`--allow-uri`), as written.
    public var allowURI: [String]
    /// PROXY protocol header sent to the upstream before the client's bytes (`--proxy-protocol`).
    public var proxyProtocol: ProxyProtocolMode
    /// Add client-certificate headers to forwarded requests (`--forward-headers`).
    public var forwardHeaders: Bool
    /// ALPN protocols answered, most preferred first (`--alpn`); empty: no ALPN.
    public var alpn: [String]
    /// What the upstream speaks (`--upstream-protocol`): `h2` may be offered with ALPN only to an
    /// upstream declared `h2c`, since agreed HTTP/2 connections are passed through untouched.
    public var upstreamProtocol: UpstreamProtocol
    /// The config file's `per-certificate:` client-certificate policies, in file order (no flag).
    public var perCertificate: [CertificateClientPolicy] = []

    public init(
        listen: SocketEndpoint,
        upstream: SocketEndpoint,
        certificateDirectories: [String] = [],
        certificatePairs: [CertificatePair] = [],
        defaultCertificate: String? = nil,
        watchMode: WatchMode = .auto,
        statInterval: Duration = .seconds(1),
        reloadInterval: Duration? = nil,
        allowExpired: Bool = false,
        expiryWarning: Duration = ConfigurationDefaults.expiryWarning,
        workers: Int = 1,
        admin: SocketEndpoint? = nil,
        adminTokenFile: String? = nil,
        logFormat: LogFormat = .text,
        logLevel: LogLevel = .info,
        minimumTLSVersion: TLSVersion = .v1_2,
        ciphers: String? = nil,
        ciphersuites: String? = nil,
        connectTimeout: Duration = .seconds(5),
        handshakeTimeout: Duration = .seconds(10),
        drainTimeout: Duration = ConfigurationDefaults.drainTimeout,
        clientCA: String? = nil,
        clientAuth: ClientAuthMode = ConfigurationDefaults.clientAuth,
        verifyDepth: Int = ConfigurationDefaults.verifyDepth,
        rootsLimit: Int = ConfigurationDefaults.rootsLimit,
        rootsMaxAge: Duration? = ConfigurationDefaults.rootsMaxAge,
        clientCRL: String? = nil,
        allowCN: [String] = [],
        allowDNS: [String] = [],
        allowURI: [String] = [],
        proxyProtocol: ProxyProtocolMode = ConfigurationDefaults.proxyProtocol,
        forwardHeaders: Bool = ConfigurationDefaults.forwardHeaders,
        alpn: [String] = [],
        upstreamProtocol: UpstreamProtocol = ConfigurationDefaults.upstreamProtocol
    ) {
        self.listen = listen
        self.upstream = upstream
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

/// One `--cert FILE --key FILE` pair. Paths are as given (relative paths are resolved against the
/// working directory, or for pairs from a config file, against the config file's directory).
public struct CertificatePair: Sendable, Equatable, Hashable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// A host (name, IPv4 or IPv6 literal without brackets) and a TCP port.
public struct SocketEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with IPv6 literals in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// How certgate notices that certificate files changed, so it can reload them without a SIGHUP.
///
/// Whatever the mode, SIGHUP, `--reload-interval` and the admin listener's `POST /reload` still reload.
public enum WatchMode: String, Sendable, Equatable, CaseIterable {
    /// inotify on every certificate directory plus the periodic stat() check; the stat() check alone
    /// when inotify is unavailable or out of watches.
    case auto
    /// inotify only, no stat() polling; a lost watch is re-added.
    case inotify
    /// stat() polling only (every `statInterval`), for NFS and other mounts where inotify sees nothing.
    case stat
    /// No automatic detection.
    case off
}

public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text
    case json
}

/// Log levels as spelled on the command line; mirrors swift-log's `Logger.Level` without depending on it.
public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

public enum TLSVersion: String, Sendable, Equatable, CaseIterable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"
}

/// Whether the TLS listener asks clients for a certificate (`--client-auth`).
public enum ClientAuthMode: String, Sendable, Equatable, CaseIterable {
    /// No certificate is requested.
    case none
    /// A certificate is requested; a client without one is still served, one with an invalid one is not.
    case optional
    /// A valid certificate chaining to `--client-ca` is required.
    case require
}

/// The PROXY protocol header certgate writes to the upstream before the client's bytes
/// (`--proxy-protocol`).
public enum ProxyProtocolMode: String, Sendable, Equatable, CaseIterable {
    /// No header.
    case off
    /// The human-readable version 1 header (`PROXY TCP4 ...\r\n`).
    case v1
    /// The binary version 2 header.
    case v2
}

/// The protocol the upstream speaks in clear text (`--upstream-protocol`).
public enum UpstreamProtocol: String, Sendable, Equatable, CaseIterable {
    /// HTTP/1.x (or any byte stream): `h2` must not be offered with ALPN.
    case http1
    /// HTTP/2 with prior knowledge: connections that agree on `h2` are passed through untouched.
    case h2c
}
