/// The values used when neither a flag nor the config file sets a key.
///
/// Kept in one place so help text (`certgate run --help`), rendered configs and the resolver cannot
/// disagree about what the defaults are.
public enum ConfigurationDefaults {
    /// Workers default to `auto`: one per active core.
    public static let workers = "auto"
    public static let logFormat = LogFormat.text
    public static let logLevel = LogLevel.info
    public static let minimumTLSVersion = TLSVersion.v1_2
    public static let connectTimeout = Duration.seconds(5)
    public static let handshakeTimeout = Duration.seconds(10)
    /// inotify on every certificate directory plus the periodic stat() check.
    public static let watchMode = WatchMode.auto
    public static let statInterval = Duration.seconds(1)
    /// No forced periodic re-read.
    public static let reloadInterval: Duration? = nil
    /// Expired and not-yet-valid certificates are refused.
    public static let allowExpired = false
    /// How long a stop (SIGTERM, SIGINT) waits for open connections before closing them.
    public static let drainTimeout = Duration.seconds(30)
    /// Certificates expiring within this period are warned about.
    public static let expiryWarning = Duration.seconds(14 * 86_400)
    /// The admin listener needs no token unless `--admin-token-file` is given.
    public static let adminTokenFile: String? = nil
    /// No client certificate is asked for unless `--client-ca` is given (then `require`).
    public static let clientAuth = ClientAuthMode.none
    /// The longest client certificate chain accepted, intermediates counted (`--verify-depth`).
    public static let verifyDepth = 4
    /// How many client-CA generations are trusted at once while a rotation settles (`--roots-limit`).
    public static let rootsLimit = 2
    /// Superseded client-CA generations are not retired by age.
    public static let rootsMaxAge: Duration? = nil
    /// No PROXY protocol header is sent to the upstream.
    public static let proxyProtocol = ProxyProtocolMode.off
    /// No client-certificate headers are added to forwarded requests.
    public static let forwardHeaders = false
    /// The upstream speaks HTTP/1.x (so `h2` may not be offered with ALPN).
    public static let upstreamProtocol = UpstreamProtocol.http1
}
