import ArgumentParser
import CertgateConfig

/// Every proxy setting as a command-line flag, shared by `certgate run` and `certgate check` through
/// `@OptionGroup var options: ProxyOptions`.
///
/// All values are taken as plain strings: validation, defaults and merging with `--config` happen in
/// `ConfigurationResolver`, so a bad value produces the same one-line error (naming the flag) whether
/// it came from here or from the YAML file. Defaults are therefore written into the help text rather
/// than declared on the properties; a declared default would be indistinguishable from an explicit flag
/// and would always beat the config file.
struct ProxyOptions: ParsableArguments {
    @OptionGroup(title: "Configuration")
    var source: Source

    @OptionGroup(title: "Addresses")
    var addresses: Addresses

    @OptionGroup(title: "Certificates")
    var certificates: Certificates

    @OptionGroup(title: "Reloading")
    var reloading: Reloading

    @OptionGroup(title: "TLS")
    var tls: TLS

    @OptionGroup(title: "Runtime")
    var runtime: Runtime

    @OptionGroup(title: "Client certificates")
    var clientCertificates: ClientCertificates

    /// `--config FILE` as typed, or `nil`.
    var configFile: String? { source.config }

    /// The flags as typed, for the resolver (and for tests of the executable, if any).
    var flags: ConfigurationFlags {
        ConfigurationFlags(
            configFile: source.config,
            listen: addresses.listen,
            upstream: addresses.upstream,
            certificateDirectories: certificates.certificateDirectories,
            certificates: certificates.certificates,
            keys: certificates.keys,
            defaultCertificate: certificates.defaultCertificate,
            watch: reloading.watch,
            statInterval: reloading.statInterval,
            reloadInterval: reloading.reloadInterval,
            allowExpired: reloading.allowExpired ? true : nil,
            expiryWarning: certificates.expiryWarning,
            workers: runtime.workers,
            admin: addresses.admin,
            adminTokenFile: addresses.adminTokenFile,
            logFormat: runtime.logFormat,
            logLevel: runtime.logLevel,
            minimumTLSVersion: tls.minimumTLSVersion,
            ciphers: tls.ciphers,
            ciphersuites: tls.ciphersuites,
            connectTimeout: runtime.connectTimeout,
            handshakeTimeout: tls.handshakeTimeout,
            drainTimeout: runtime.drainTimeout,
            clientCA: clientCertificates.clientCA,
            clientAuth: clientCertificates.clientAuth,
            verifyDepth: clientCertificates.verifyDepth,
            rootsLimit: clientCertificates.rootsLimit,
            rootsMaxAge: clientCertificates.rootsMaxAge,
            clientCRL: clientCertificates.clientCRL,
            allowCN: clientCertificates.allowCN,
            allowDNS: clientCertificates.allowDNS,
            allowURI: clientCertificates.allowURI,
            proxyProtocol: clientCertificates.proxyProtocol,
            forwardHeaders: clientCertificates.forwardHeaders ? true : nil,
            alpn: clientCertificates.alpn,
            upstreamProtocol: clientCertificates.upstreamProtocol
        )
    }

    /// Loads `--config` (if given), merges it with the flags and validates the result.
    ///
    /// - Throws: `ConfigurationError`, whose description is one line naming the flag or file key.
    func resolve() throws(ConfigurationError) -> ProxyConfiguration {
        try ConfigurationResolver().resolve(flags)
    }
}

extension ProxyOptions {
    /// Where settings come from besides the flags themselves.
    struct Source: ParsableArguments {
        @Option(
            name: .customLong("config"),
            help: ArgumentHelp(
                "YAML config file with the same keys as these flags (listen:, cert-dir:, ...). "
                    + "Flags override it.",
                valueName: "file"
            )
        )
        var config: String?
    }

    /// Where certgate listens and where it forwards.
    struct Addresses: ParsableArguments {
        @Option(
            name: .customLong("listen"),
            help: ArgumentHelp(
                "Address for TLS clients, e.g. 0.0.0.0:443 or [::]:443. Required.",
                valueName: "host:port"
            )
        )
        var listen: String?

        @Option(
            name: .customLong("upstream"),
            help: ArgumentHelp(
                "Plaintext backend to forward to, e.g. 127.0.0.1:8080. Required.",
                valueName: "host:port"
            )
        )
        var upstream: String?

        @Option(
            name: .customLong("admin"),
            help: ArgumentHelp(
                "Admin HTTP listener for /healthz, /readyz, /metrics and POST /reload; a bare PORT means "
                    + "127.0.0.1:PORT (loopback only). (default: off)",
                valueName: "host:port"
            )
        )
        var admin: String?

        @Option(
            name: .customLong("admin-token-file"),
            help: ArgumentHelp(
                "File holding a bearer token that every admin request except /healthz and /readyz must send "
                    + "(Authorization: Bearer TOKEN). Re-read when it changes. Needs --admin. "
                    + "(default: none, no token required)",
                valueName: "file"
            )
        )
        var adminTokenFile: String?
    }

    /// Where certificates come from. At least one `--cert-dir` or `--cert`/`--key` pair is required.
    struct Certificates: ParsableArguments {
        @Option(
            name: .customLong("cert-dir"),
            help: ArgumentHelp(
                "Directory of PEM certificates and keys. Repeatable; replaces the config file's list.",
                valueName: "dir"
            )
        )
        var certificateDirectories: [String] = []

        @Option(
            name: .customLong("cert"),
            help: ArgumentHelp(
                "Certificate chain file (PEM). Repeatable; each needs a --key, paired in order.",
                valueName: "file"
            )
        )
        var certificates: [String] = []

        @Option(
            name: .customLong("key"),
            help: ArgumentHelp(
                "Private key file (PEM) for the --cert in the same position. Repeatable.",
                valueName: "file"
            )
        )
        var keys: [String] = []

        @Option(
            name: .customLong("default-cert"),
            help: ArgumentHelp(
                "Certificate to serve when the client sends no SNI or an unknown name. (default: first by name)",
                valueName: "name"
            )
        )
        var defaultCertificate: String?

        @Option(
            name: .customLong("expiry-warning"),
            help: ArgumentHelp(
                "Warn about certificates that expire within this period, e.g. 30d; "
                    + "\(DurationSyntax.format(SettingParser.expiryWarningRange.lowerBound)) to "
                    + "\(DurationSyntax.format(SettingParser.expiryWarningRange.upperBound)), 0 disables the "
                    + "warnings. (default: \(DurationSyntax.format(ConfigurationDefaults.expiryWarning)))",
                valueName: "duration"
            )
        )
        var expiryWarning: String?
    }

    /// How certificate changes are picked up without a restart, and which certificates a load accepts.
    struct Reloading: ParsableArguments {
        @Option(
            name: .customLong("watch"),
            help: ArgumentHelp(
                "How certificate changes are noticed: auto (inotify on every certificate directory plus the "
                    + "--stat-interval check; the check alone where inotify is unavailable), inotify (inotify "
                    + "only), stat (the check only, for NFS and other odd mounts) or off (no automatic "
                    + "detection; SIGHUP, --reload-interval and POST /reload still work). "
                    + "(default: \(ConfigurationDefaults.watchMode.rawValue))",
                valueName: "auto|inotify|stat|off"
            )
        )
        var watch: String?

        @Option(
            name: .customLong("stat-interval"),
            help: ArgumentHelp(
                "How often the stat() check looks for changed certificate files, "
                    + "\(DurationSyntax.format(SettingParser.statIntervalRange.lowerBound)) to "
                    + "\(DurationSyntax.format(SettingParser.statIntervalRange.upperBound)). (default: "
                    + "\(DurationSyntax.format(ConfigurationDefaults.statInterval)))",
                valueName: "duration"
            )
        )
        var statInterval: String?

        @Option(
            name: .customLong("reload-interval"),
            help: ArgumentHelp(
                "Also re-read every certificate source this often, changed or not, e.g. 1h: a backstop for "
                    + "filesystems where neither inotify nor stat() sees changes. At least "
                    + "\(DurationSyntax.format(SettingParser.minimumReloadInterval)); off or 0 disables it. "
                    + "(default: off)",
                valueName: "duration|off"
            )
        )
        var reloadInterval: String?

        @Flag(
            name: .customLong("allow-expired"),
            help: ArgumentHelp(
                "Serve certificates that are expired or not yet valid. Without it such a certificate fails "
                    + "start-up, and a reload that brings one keeps the previous certificate. (default: off)"
            )
        )
        var allowExpired = false
    }

    /// What the TLS side accepts.
    struct TLS: ParsableArguments {
        @Option(
            name: .customLong("min-tls"),
            help: ArgumentHelp(
                "Oldest TLS version to accept: 1.2 or 1.3. "
                    + "(default: \(ConfigurationDefaults.minimumTLSVersion.rawValue))",
                valueName: "version"
            )
        )
        var minimumTLSVersion: String?

        @Option(
            name: .customLong("ciphers"),
            help: ArgumentHelp(
                "OpenSSL cipher list for TLS 1.2. (default: certgate's hardened list)",
                valueName: "list"
            )
        )
        var ciphers: String?

        @Option(
            name: .customLong("ciphersuites"),
            help: ArgumentHelp("OpenSSL ciphersuites for TLS 1.3. (default: TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256)", valueName: "list")
        )
        var ciphersuites: String?

        @Option(
            name: .customLong("handshake-timeout"),
            help: ArgumentHelp(
                "Time a client has to complete the TLS handshake, e.g. 500ms, 10s, 1m. (default: "
                    + "\(DurationSyntax.format(ConfigurationDefaults.handshakeTimeout)))",
                valueName: "duration"
            )
        )
        var handshakeTimeout: String?
    }

    /// Threads, upstream timing and logging.
    struct Runtime: ParsableArguments {
        @Option(
            name: .customLong("workers"),
            help: ArgumentHelp(
                "Worker threads: 1-\(SettingParser.maximumWorkers), or auto for one per CPU core. "
                    + "(default: \(ConfigurationDefaults.workers))",
                valueName: "n|auto"
            )
        )
        var workers: String?

        @Option(
            name: .customLong("connect-timeout"),
            help: ArgumentHelp(
                "Time allowed to connect to the upstream, e.g. 500ms, 5s. (default: "
                    + "\(DurationSyntax.format(ConfigurationDefaults.connectTimeout)))",
                valueName: "duration"
            )
        )
        var connectTimeout: String?

        @Option(
            name: .customLong("drain-timeout"),
            help: ArgumentHelp(
                "On SIGTERM or SIGINT, how long open connections may take to finish before they are closed, "
                    + "\(DurationSyntax.format(SettingParser.drainTimeoutRange.lowerBound)) to "
                    + "\(DurationSyntax.format(SettingParser.drainTimeoutRange.upperBound)); 0 closes them at "
                    + "once. (default: \(DurationSyntax.format(ConfigurationDefaults.drainTimeout)))",
                valueName: "duration"
            )
        )
        var drainTimeout: String?

        @Option(
            name: .customLong("log-format"),
            help: ArgumentHelp(
                "Log line format on stderr: text or json. (default: \(ConfigurationDefaults.logFormat.rawValue))",
                valueName: "format"
            )
        )
        var logFormat: String?

        @Option(
            name: .customLong("log-level"),
            help: ArgumentHelp(
                "Least severe level logged: trace, debug, info, notice, warning, error or critical. "
                    + "(default: \(ConfigurationDefaults.logLevel.rawValue))",
                valueName: "level"
            )
        )
        var logLevel: String?
    }

    /// Client certificate authentication, and what the upstream learns about the client.
    struct ClientCertificates: ParsableArguments {
        @Option(
            name: .customLong("client-ca"),
            help: ArgumentHelp(
                "PEM bundle of the CAs that client certificates must chain to. Turns on client "
                    + "certificates (--client-auth require unless set). (default: none)",
                valueName: "file"
            )
        )
        var clientCA: String?

        @Option(
            name: .customLong("client-auth"),
            help: ArgumentHelp(
                "Whether clients must present a certificate: none, optional (verified when sent) or require. "
                    + "optional and require need --client-ca. (default: \(ConfigurationDefaults.clientAuth.rawValue), "
                    + "require with --client-ca)",
                valueName: "none|optional|require"
            )
        )
        var clientAuth: String?

        @Option(
            name: .customLong("verify-depth"),
            help: ArgumentHelp(
                "Longest client certificate chain accepted, "
                    + "\(SettingParser.verifyDepthRange.lowerBound)-\(SettingParser.verifyDepthRange.upperBound). "
                    + "(default: \(ConfigurationDefaults.verifyDepth))",
                valueName: "n"
            )
        )
        var verifyDepth: String?

        @Option(
            name: .customLong("roots-limit"),
            help: ArgumentHelp(
                "How many --client-ca generations stay trusted at once while a CA rotation settles, "
                    + "\(SettingParser.rootsLimitRange.lowerBound)-\(SettingParser.rootsLimitRange.upperBound). "
                    + "(default: \(ConfigurationDefaults.rootsLimit))",
                valueName: "n"
            )
        )
        var rootsLimit: String?

        @Option(
            name: .customLong("roots-max-age"),
            help: ArgumentHelp(
                "Stop trusting a superseded --client-ca generation after this long, e.g. 1d; at least "
                    + "\(DurationSyntax.format(SettingParser.minimumRootsMaxAge)); off or 0 disables it. "
                    + "(default: off)",
                valueName: "duration|off"
            )
        )
        var rootsMaxAge: String?

        @Option(
            name: .customLong("client-crl"),
            help: ArgumentHelp(
                "PEM certificate revocation list checked against client certificates. Needs --client-ca. "
                    + "(default: none)",
                valueName: "file"
            )
        )
        var clientCRL: String?

        @Option(
            name: .customLong("allow-cn"),
            help: ArgumentHelp(
                "Accept only client certificates whose subject CN matches; * matches one whole label. "
                    + "Repeatable; replaces the config file's list. Needs --client-ca. (default: any)",
                valueName: "pattern"
            )
        )
        var allowCN: [String] = []

        @Option(
            name: .customLong("allow-dns"),
            help: ArgumentHelp(
                "Accept only client certificates with a matching DNS subject alternative name; * matches one "
                    + "whole label. Repeatable; replaces the config file's list. Needs --client-ca. (default: any)",
                valueName: "pattern"
            )
        )
        var allowDNS: [String] = []

        @Option(
            name: .customLong("allow-uri"),
            help: ArgumentHelp(
                "Accept only client certificates with a matching URI subject alternative name; * matches one "
                    + "whole path segment. Repeatable; replaces the config file's list. Needs --client-ca. "
                    + "(default: any)",
                valueName: "pattern"
            )
        )
        var allowURI: [String] = []

        @Option(
            name: .customLong("proxy-protocol"),
            help: ArgumentHelp(
                "Send a PROXY protocol header (v1 text or v2 binary) to the upstream before the client's "
                    + "bytes. (default: \(ConfigurationDefaults.proxyProtocol.rawValue))",
                valueName: "off|v1|v2"
            )
        )
        var proxyProtocol: String?

        @Flag(
            name: .customLong("forward-headers"),
            help: ArgumentHelp(
                "Parse each HTTP/1.1 request and set X-Forwarded-For, -Proto, -Port and, for a verified client "
                    + "certificate, X-Forwarded-Client-Cert (client copies are removed); malformed or ambiguous "
                    + "requests get 400 and the connection is closed; an unreachable upstream gets 502/504. (default: off)"
            )
        )
        var forwardHeaders = false

        @Option(
            name: .customLong("alpn"),
            help: ArgumentHelp(
                "ALPN protocols to agree on, most preferred first, e.g. http/1.1 (off: no ALPN). A connection "
                    + "that agrees on h2 is passed through untouched, so h2 needs --upstream-protocol h2c and "
                    + "cannot be combined with --forward-headers. (default: off)",
                valueName: "list"
            )
        )
        var alpn: String?

        @Option(
            name: .customLong("upstream-protocol"),
            help: ArgumentHelp(
                "What the upstream speaks in clear text: http1 (HTTP/1.x or any byte stream) or h2c "
                    + "(HTTP/2 with prior knowledge, needed to offer h2 with --alpn). "
                    + "(default: \(ConfigurationDefaults.upstreamProtocol.rawValue))",
                valueName: "http1|h2c"
            )
        )
        var upstreamProtocol: String?
    }
}
