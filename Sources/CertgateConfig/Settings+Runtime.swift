extension Settings {
    static let reloadingSettings: [any AnySetting] = [watch, statInterval, reloadInterval, allowExpired]
    static let tlsSettings: [any AnySetting] = [
        minimumTLSVersion, ciphers, ciphersuites, groups, handshakeTimeout, tickets, ticketKeys, ticketLifetime,
    ]
    static let runtimeSettings: [any AnySetting] = [
        workers, maxConnections, connectTimeout, idleTimeout, tcpKeepalive, drainTimeout, shutdownDelay, logFormat,
        logLevel,
    ]

    // MARK: Reloading

    public static let watch = Setting(
        "watch", group: .reloading, valueName: "auto|inotify|stat|off", type: "enum", example: "stat", reload: .live,
        help: "How certificate changes are noticed: auto (inotify on every certificate directory plus the "
            + "--stat-interval check, as a backstop every 10 intervals while inotify watches every directory "
            + "on local file systems; the check alone where inotify is unavailable), inotify (inotify "
            + "only), stat (the check only, for NFS and other odd mounts) or off (no automatic "
            + "detection; SIGHUP, --reload-interval and POST /reload still work).",
        keyPath: \.watchMode,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, WatchMode.self, what: "a watch mode")
        },
        render: RenderedValue.choice)

    /// The shortest and longest `--stat-interval`, inclusive.
    public static let statIntervalRange = Duration.milliseconds(50)...Duration.seconds(3_600)

    public static let statInterval = Setting(
        "stat-interval", .duration, group: .reloading, valueName: "duration", type: "duration, 50ms to 1h",
        example: "5s", reload: .live,
        help: "How often the stat() check looks for changed certificate files, "
            + "\(DurationSyntax.format(statIntervalRange.lowerBound)) to "
            + "\(DurationSyntax.format(statIntervalRange.upperBound)).",
        keyPath: \.statInterval,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.duration(text, within: statIntervalRange, what: "stat interval")
        },
        render: RenderedValue.duration)

    /// The shortest `--reload-interval` other than off: each reload re-reads every certificate source.
    public static let minimumReloadInterval = Duration.seconds(1)
    /// The longest `--reload-interval`: a backstop that runs less than weekly backs up nothing.
    public static let maximumReloadInterval = Duration.seconds(7 * 86_400)

    public static let reloadInterval = Setting(
        "reload-interval", .duration, group: .reloading, valueName: "duration|off",
        type: "duration, 1s to 7d, or off (also 0)", example: "1h", reload: .live,
        help: "Also re-read every certificate source this often, changed or not, e.g. 1h: a backstop for "
            + "filesystems where neither inotify nor stat() sees changes. "
            + "\(DurationSyntax.format(minimumReloadInterval)) to \(DurationSyntax.format(maximumReloadInterval)); "
            + "off or 0 disables it.",
        keyPath: \.reloadInterval,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.offOrDuration(
                text, atLeast: minimumReloadInterval, atMost: maximumReloadInterval, what: "the reload interval")
        },
        render: RenderedValue.durationOrOff)

    public static let allowExpired = Setting(
        "allow-expired", .toggle, group: .reloading, valueName: "", type: "switch; true or false in YAML",
        default: "off", example: "true", reload: .live,
        help: "Serve certificates that are expired or not yet valid. Without it such a certificate fails "
            + "start-up, and a reload that brings one keeps the previous certificate.",
        keyPath: \.allowExpired,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    // MARK: TLS

    public static let minimumTLSVersion = Setting(
        "min-tls", .version, group: .tls, valueName: "1.2|1.3", type: "enum", example: "1.3", reload: .live,
        help: "Oldest TLS version to accept.",
        keyPath: \.minimumTLSVersion,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, TLSVersion.self, what: "a supported TLS version")
        },
        render: { .text($0.rawValue) })

    public static let ciphers = Setting(
        "ciphers", group: .tls, valueName: "list", type: "OpenSSL cipher list",
        default: "certgate's hardened list (ECDHE with AEAD only)", example: "ECDHE+AESGCM", reload: .live,
        help: "OpenSSL cipher list for TLS 1.2.",
        keyPath: \.ciphers,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.nonEmpty(text, what: "cipher list") },
        render: RenderedValue.optionalText)

    public static let ciphersuites = Setting(
        "ciphersuites", group: .tls, valueName: "list", type: "OpenSSL TLS 1.3 suites",
        default: "AES-128-GCM, AES-256-GCM, then ChaCha20-Poly1305",
        example: "TLS_AES_128_GCM_SHA256", reload: .live,
        help: "OpenSSL ciphersuites for TLS 1.3.",
        keyPath: \.ciphersuites,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.nonEmpty(text, what: "ciphersuite list") },
        render: RenderedValue.optionalText)

    public static let groups = Setting(
        "groups", group: .tls, valueName: "list", type: "OpenSSL group names, colon-separated",
        default: "X25519:P-256:P-384", example: "X25519:P-256", reload: .live,
        help: "Key-exchange groups (curves) for TLS 1.2 and 1.3, most preferred first, e.g. "
            + "X25519:P-256:P-384. A name OpenSSL does not know stops the start.",
        keyPath: \.groups,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.groupList(text) },
        render: RenderedValue.optionalText)

    /// The longest `--handshake-timeout` and `--connect-timeout`: a peer that needs longer is not coming.
    public static let maximumHandshakeTimeout = Duration.seconds(300)

    public static let handshakeTimeout = Setting(
        "handshake-timeout", .duration, group: .tls, valueName: "duration", type: "duration, more than 0 up to 5m",
        example: "3s", reload: .live,
        help: "Time a client has to complete the TLS handshake, e.g. 500ms, 10s, 1m; at most "
            + "\(DurationSyntax.format(maximumHandshakeTimeout)).",
        keyPath: \.handshakeTimeout,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.timeout(text, atMost: maximumHandshakeTimeout, what: "handshake timeout")
        },
        render: RenderedValue.duration)

    public static let tickets = Setting(
        "tickets", group: .tls, valueName: "true|false", type: "boolean", example: "false", reload: .restart,
        help: "TLS session tickets (TLS 1.2 tickets and TLS 1.3 stateless tickets). --no-tickets turns them "
            + "off; sessions then only resume from this process's own session cache.",
        keyPath: \.tickets,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    public static let ticketKeys = Setting(
        "ticket-keys", group: .tls, valueName: "file", type: "path",
        default: "random keys per process, rotated every --ticket-lifetime", example: "/etc/certgate/ticket.keys",
        reload: .restart,
        help: "File of session ticket keys shared by every replica: one base64 key of 80 bytes per line "
            + "(16-byte name, 32-byte HMAC secret, 32-byte AES key, as nginx and haproxy). The first line "
            + "encrypts new tickets, every line decrypts. Reloaded when it changes, on SIGHUP and on "
            + "POST /reload; a bad file keeps the keys in use.",
        keyPath: \.ticketKeys,
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: RenderedValue.optionalText)

    /// The shortest and longest `--ticket-lifetime`, inclusive.
    public static let ticketLifetimeRange = Duration.seconds(1)...Duration.seconds(7 * 86_400)

    public static let ticketLifetime = Setting(
        "ticket-lifetime", .duration, group: .tls, valueName: "duration", type: "duration, 1s to 7d",
        example: "1h", reload: .restart,
        help: "How long a TLS session can be resumed, "
            + "\(DurationSyntax.format(ticketLifetimeRange.lowerBound)) to "
            + "\(DurationSyntax.format(ticketLifetimeRange.upperBound)). Without --ticket-keys the random "
            + "ticket key is also replaced this often, the previous one kept for one more period.",
        keyPath: \.ticketLifetime,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.duration(text, within: ticketLifetimeRange, what: "ticket lifetime")
        },
        render: RenderedValue.duration)

    // MARK: Runtime

    /// The most worker threads certgate will start. Each worker owns an event loop and a share of the
    /// listening sockets, so far more workers than cores only adds contention.
    public static let maximumWorkers = 256

    public static let workers = Setting(
        "workers", group: .runtime, valueName: "n|auto", type: "integer 1-256, or auto (one per core)",
        default: "auto", example: "4", reload: .restart,
        help: "Worker threads: 1-\(maximumWorkers), or auto for one per CPU core.",
        keyPath: \.workers,
        defaultValue: { context in min(max(context.processorCount, 1), maximumWorkers) },
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.workers(text, processorCount: context.processorCount, maximum: maximumWorkers)
        },
        render: { .scalar(String($0)) })

    /// The largest `--max-connections`.
    public static let maxConnectionsRange = 1...10_000_000

    public static let maxConnections = Setting(
        "max-connections", group: .runtime, valueName: "n|auto",
        type: "integer 1-\(maxConnectionsRange.upperBound), or auto", default: "auto", example: "10000",
        reload: .restart,
        help: "Most client connections open at once, across all workers; at the limit new clients wait in "
            + "the listen backlog until one closes. auto: (file descriptor limit - 64 - 2 per worker "
            + "- the admin listener's share) / 2, since each connection uses two descriptors.",
        keyPath: \.maxConnections,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.autoOrInteger(text, within: maxConnectionsRange, what: "connection limit")
        },
        render: { .scalar($0.map(String.init) ?? "auto") })

    /// The longest `--connect-timeout`.
    public static let maximumConnectTimeout = Duration.seconds(300)

    public static let connectTimeout = Setting(
        "connect-timeout", .duration, group: .runtime, valueName: "duration", type: "duration, more than 0 up to 5m",
        example: "2s", reload: .live,
        help: "Time allowed to connect to the upstream, e.g. 500ms, 5s; at most "
            + "\(DurationSyntax.format(maximumConnectTimeout)).",
        keyPath: \.connectTimeout,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.timeout(text, atMost: maximumConnectTimeout, what: "connect timeout")
        },
        render: RenderedValue.duration)

    /// The shortest `--idle-timeout` other than off.
    public static let minimumIdleTimeout = Duration.milliseconds(100)
    /// The longest `--idle-timeout` other than off (which keeps idle connections open for good).
    public static let maximumIdleTimeout = Duration.seconds(7 * 86_400)

    public static let idleTimeout = Setting(
        "idle-timeout", .duration, group: .runtime, valueName: "duration|off",
        type: "duration, 100ms to 7d, or off (also 0)", example: "1m", reload: .live,
        help: "Close a proxied connection (both sides) when no byte has moved in either direction for this "
            + "long, e.g. 30s, 5m, at most \(DurationSyntax.format(maximumIdleTimeout)); off or 0 keeps idle "
            + "connections open. The handshake and the upstream connect have their own timeouts.",
        keyPath: \.idleTimeout,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.offOrDuration(
                text, atLeast: minimumIdleTimeout, atMost: maximumIdleTimeout, what: "the idle timeout")
        },
        render: RenderedValue.durationOrOff)

    public static let tcpKeepalive = Setting(
        "tcp-keepalive", group: .runtime, valueName: "true|false", type: "boolean", example: "false",
        reload: .live,
        help: "TCP keepalive (SO_KEEPALIVE) on the client and upstream sockets: the first probe after 60s "
            + "without traffic, then every 10s, the connection dropped after 6 unanswered probes.",
        keyPath: \.tcpKeepalive,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    /// The longest `--drain-timeout`: a stop that waits longer than this looks like a hang to whatever
    /// supervises certgate (systemd's and Kubernetes' stop timeouts are far shorter).
    public static let drainTimeoutRange = Duration.zero...Duration.seconds(3_600)

    public static let drainTimeout = Setting(
        "drain-timeout", .duration, group: .runtime, valueName: "duration",
        type: "duration, 0 to 1h; 0 closes connections at once", example: "10s", reload: .live,
        help: "On SIGTERM or SIGINT, how long open connections may take to finish before they are closed, "
            + "\(DurationSyntax.format(drainTimeoutRange.lowerBound)) to "
            + "\(DurationSyntax.format(drainTimeoutRange.upperBound)); 0 closes them at once.",
        keyPath: \.drainTimeout,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.duration(text, within: drainTimeoutRange, what: "drain timeout")
        },
        render: RenderedValue.duration)

    /// The longest `--shutdown-delay`, for the same reason as `drainTimeoutRange`.
    public static let shutdownDelayRange = Duration.zero...Duration.seconds(600)

    public static let shutdownDelay = Setting(
        "shutdown-delay", .duration, group: .runtime, valueName: "duration",
        type: "duration, 0 to 10m", example: "5s", reload: .live,
        help: "On SIGTERM or SIGINT, how long certgate keeps accepting new connections, with /readyz "
            + "already answering 503, before the drain starts: time for load balancers and Kubernetes "
            + "endpoints to stop sending traffic, "
            + "\(DurationSyntax.format(shutdownDelayRange.lowerBound)) to "
            + "\(DurationSyntax.format(shutdownDelayRange.upperBound)).",
        keyPath: \.shutdownDelay,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.duration(text, within: shutdownDelayRange, what: "shutdown delay")
        },
        render: RenderedValue.duration)

    public static let logFormat = Setting(
        "log-format", group: .runtime, valueName: "text|json", type: "enum", example: "json", reload: .live,
        help: "Log line format on stderr.",
        keyPath: \.logFormat,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, LogFormat.self, what: "a log format")
        },
        render: RenderedValue.choice)

    public static let logLevel = Setting(
        "log-level", group: .runtime, valueName: "level",
        type: "enum: trace, debug, info, notice, warning, error, critical",
        example: "debug", reload: .live,
        help: "Least severe level logged: trace, debug, info, notice, warning, error or critical.",
        keyPath: \.logLevel,
        parse: { text, _ throws(ConfigurationValueError) in
            // `warn` is accepted because that is what most other tools call `warning`.
            text.lowercased() == "warn" ? .warning : try ValueParser.choice(text, LogLevel.self, what: "a log level")
        },
        render: RenderedValue.choice)
}
