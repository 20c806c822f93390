/// The fully resolved, validated configuration of one certgate process.
///
/// Produced by `ConfigurationResolver` from flags, `CERTGATE_*` variables and an optional YAML file
/// (in that order of precedence) through the setting table `Settings`. Every value here has already
/// been checked: a `ProxyConfiguration` that exists is one the proxy can try to start with. File
/// contents (certificates, keys) are not read here; that is the certificate loader's job.
///
/// The initial values are the defaults of the settings (the table reads them from `defaults`).
public struct ProxyConfiguration: Sendable, Equatable {
    /// Where clients connect (TLS).
    public var listen: SocketEndpoint
    /// Where plaintext is forwarded.
    public var upstream: SocketEndpoint
    /// Certificate directories, in the order given.
    public var certificateDirectories: [String] = []
    /// Certificate and key file pairs, in the order given.
    public var certificatePairs: [CertificatePair] = []
    /// The certificate served when SNI is absent or matches nothing; `nil`: the first one by name.
    public var defaultCertificate: String?
    /// Refuse (fatal `unrecognized_name`) a handshake whose SNI name no certificate has, or that has no SNI
    /// while several certificates are loaded, instead of serving the default certificate.
    public var strictSNI = false
    /// How certificate changes are noticed without a SIGHUP.
    public var watchMode: WatchMode = .auto
    /// Period of the stat() check that `auto` and `stat` watching run.
    public var statInterval: Duration = .seconds(1)
    /// Period of a forced full re-read of every certificate source; `nil` when off.
    public var reloadInterval: Duration?
    /// Serve certificates that are expired or not yet valid instead of refusing them.
    public var allowExpired = false
    /// Certificates that expire within this period are warned about; zero turns the warnings off.
    public var expiryWarning: Duration = .seconds(14 * 86_400)
    /// `certgate check` only: a certificate directory that does not exist is a warning, not an error.
    public var checkMissingCertDir = false
    /// Number of worker threads (`auto` already became the core count).
    public var workers = 1
    /// Most client connections open at once across all workers; `nil` (auto): derived at start-up from
    /// the file descriptor limit (`ConnectionBudget`).
    public var maxConnections: Int?
    /// Admin HTTP listener (`/healthz`, `/metrics`); `nil` when disabled.
    public var admin: SocketEndpoint?
    /// File holding the bearer token the admin listener requires on everything but `/healthz` and
    /// `/readyz`, as an absolute path; `nil` when no token is required. Only set together with `admin`.
    public var adminTokenFile: String?
    /// Serve `/metrics` and `/reload` without a token even when `admin` is not a loopback address.
    public var adminInsecure = false
    public var logFormat: LogFormat = .text
    public var logLevel: LogLevel = .info
    /// `--access-log`: one line per connection (per request with `--forward-headers`), or off.
    public var accessLog: AccessLogMode = .off
    /// `--access-log-file`, as an absolute path; `nil`: stdout.
    public var accessLogFile: String?
    public var minimumTLSVersion: TLSVersion = .v1_2
    /// OpenSSL cipher list for TLS 1.2; `nil` keeps certgate's hardened default.
    public var ciphers: String?
    /// OpenSSL TLS 1.3 ciphersuites; `nil` keeps certgate's default (AES-128-GCM first).
    public var ciphersuites: String?
    /// Key-exchange groups, colon-separated, most preferred first; `nil` keeps certgate's default
    /// (X25519:P-256:P-384).
    public var groups: String?
    /// Session tickets on (`--no-tickets` turns them off).
    public var tickets = true
    /// The session ticket key file, as an absolute path; `nil`: random keys per process.
    public var ticketKeys: String?
    /// `--ocsp-fetch`.
    public var ocspFetch = false
    /// `--ocsp-dir`; `nil`: OCSP responses beside the certificates.
    public var ocspDirectory: String?
    /// How long a session can be resumed, and how often random ticket keys rotate.
    public var ticketLifetime: Duration = .seconds(7200)
    /// How often a host name in `--upstream` is resolved again; `nil` when off.
    public var upstreamResolveInterval: Duration? = .seconds(10)
    /// Upper bound for a non-blocking upstream connect.
    public var connectTimeout: Duration = .seconds(5)
    /// Upper bound for a client to complete the TLS handshake.
    public var handshakeTimeout: Duration = .seconds(10)
    /// A proxied connection with no bytes moving either way for this long is closed; `nil` when off.
    public var idleTimeout: Duration? = .seconds(300)
    /// SO_KEEPALIVE (60s idle, 10s interval, 6 probes) on client and upstream sockets.
    public var tcpKeepalive = true
    /// How long a stop waits for open connections to finish before closing them; zero closes them at once.
    public var drainTimeout: Duration = .seconds(30)
    /// How long a stop keeps accepting (with readiness already false) before the drain starts.
    public var shutdownDelay: Duration = .zero
    /// PEM bundle of the CAs that client certificates must chain to, as an absolute path; `nil` when
    /// clients are not asked for certificates.
    public var clientCA: String?
    /// Whether a client certificate is asked for and required. `optional` and `require` only occur
    /// together with `clientCA` (which makes `require` the default).
    public var clientAuth: ClientAuthMode = .none
    /// The longest client certificate chain accepted.
    public var verifyDepth = 4
    /// How many client-CA generations are trusted at once during a rotation.
    public var rootsLimit = 2
    /// How long a superseded client-CA generation stays trusted; `nil` when off (generations are only
    /// evicted by `rootsLimit`).
    public var rootsMaxAge: Duration?
    /// PEM CRL file checked against client certificates, as an absolute path; only with `clientCA`.
    public var clientCRL: String?
    /// Accepted client certificate subject common names, as written; empty means any.
    public var allowCN: [String] = []
    /// Accepted client certificate DNS subject alternative names, as written.
    public var allowDNS: [String] = []
    /// Accepted client certificate URI subject alternative names, as written.
    public var allowURI: [String] = []
    /// PROXY protocol header sent to the upstream before the client's bytes.
    public var proxyProtocol: ProxyProtocolMode = .off
    /// Parse HTTP/1.x requests and set the X-Forwarded-* fields.
    public var forwardHeaders = false
    /// ALPN protocols answered, most preferred first; empty: no ALPN.
    public var alpn: [String] = []
    /// What the upstream speaks: `h2` may be offered with ALPN only to an upstream declared `h2c`, since
    /// agreed HTTP/2 connections are passed through untouched.
    public var upstreamProtocol: UpstreamProtocol = .http1
    /// The config file's `per-certificate:` client-certificate policies, in file order.
    public var perCertificate: [CertificateClientPolicy] = []

    /// Every setting at its default, for these two addresses.
    public init(listen: SocketEndpoint, upstream: SocketEndpoint) {
        self.listen = listen
        self.upstream = upstream
    }

    /// Every setting at its default (the addresses, which have none, are placeholders).
    public static let defaults = ProxyConfiguration(
        listen: SocketEndpoint(host: "0.0.0.0", port: 0), upstream: SocketEndpoint(host: "127.0.0.1", port: 0)
    )
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

/// `--access-log`: off, or the format of its lines.
public enum AccessLogMode: String, Sendable, Equatable, CaseIterable {
    case off
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
