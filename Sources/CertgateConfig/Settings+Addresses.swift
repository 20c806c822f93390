extension Settings {
    static let addressSettings: [any AnySetting] = [
        listen, upstream, upstreamResolveInterval, admin, adminTokenFile, adminInsecure,
    ]
    static let certificateSettings: [any AnySetting] = [
        certificateDirectories, certificatePairs, defaultCertificate, strictSNI, expiryWarning, checkMissingCertDir,
    ]

    // MARK: Addresses

    public static let listen = Setting(
        "listen", group: .addresses, valueName: "host:port", type: "address", default: "required",
        example: "0.0.0.0:443", reload: .restart, help: "Address for TLS clients, e.g. 0.0.0.0:443 or [::]:443.",
        keyPath: \.listen,
        parse: { text, _ throws(ConfigurationValueError) in try SocketEndpoint(parsing: text, role: .listen) },
        render: { .text($0.description) })

    public static let upstream = Setting(
        "upstream", group: .addresses, valueName: "host:port",
        type: "address (a host name is resolved at start, on reload and every --upstream-resolve-interval)",
        default: "required", example: "127.0.0.1:8080", reload: .live,
        help: "Plaintext backend to forward to, e.g. 127.0.0.1:8080.",
        keyPath: \.upstream,
        parse: { text, _ throws(ConfigurationValueError) in try SocketEndpoint(parsing: text, role: .upstream) },
        render: { .text($0.description) })

    /// The shortest and longest `--upstream-resolve-interval` other than off.
    public static let minimumUpstreamResolveInterval = Duration.seconds(1)
    public static let maximumUpstreamResolveInterval = Duration.seconds(3600)

    public static let upstreamResolveInterval = Setting(
        "upstream-resolve-interval", .duration, group: .addresses, valueName: "duration|off",
        type: "duration, 1s to 1h, or off (also 0)", example: "30s", reload: .live,
        help: "How often a host name in --upstream is resolved again, from 1s to 1h (on a resolver thread, "
            + "never on a worker); new connections rotate through its addresses and a failed connect tries the next. "
            + "A failed resolution keeps the last good addresses. off resolves at start and on reload "
            + "only; a literal IP address is never resolved again.",
        keyPath: \.upstreamResolveInterval,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.offOrDuration(
                text, atLeast: minimumUpstreamResolveInterval, atMost: maximumUpstreamResolveInterval,
                what: "the upstream resolve interval")
        },
        render: RenderedValue.durationOrOff)

    public static let admin = Setting(
        "admin", group: .addresses, valueName: "host:port", type: "address, or bare port",
        default: "off", example: "127.0.0.1:9901", reload: .restart,
        help: "Admin HTTP listener for /healthz, /readyz, /metrics and POST /reload; a bare PORT means "
            + "127.0.0.1:PORT (loopback only).",
        keyPath: \.admin,
        parse: { text, _ throws(ConfigurationValueError) in try SocketEndpoint(parsing: text, role: .admin) },
        render: { $0.map { .text($0.description) } ?? .absent(comment: "off") })

    public static let adminTokenFile = Setting(
        "admin-token-file", group: .addresses, valueName: "file", type: "path; needs --admin",
        default: "none, no token required", example: "/etc/certgate/admin.token", reload: .restart,
        help: "File holding a bearer token that every admin request except /healthz and /readyz must send "
            + "(Authorization: Bearer TOKEN). Re-read when it changes. Needs --admin.",
        keyPath: \.adminTokenFile,
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: RenderedValue.optionalText)

    public static let adminInsecure = Setting(
        "admin-insecure", .toggle, group: .addresses, valueName: "", type: "switch; true or false in YAML",
        default: "off", example: "true", reload: .restart,
        help: "Serve /metrics and POST /reload without a token on a non-loopback --admin address. Without "
            + "it, such a listener with no --admin-token-file answers them 403 (/healthz and /readyz stay open).",
        keyPath: \.adminInsecure,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    // MARK: Certificates

    public static let certificateDirectories = Setting(
        list: "cert-dir", group: .certificates, valueName: "dir", type: "path, or list of paths",
        example: "/etc/certgate/certs", reload: .live,
        help: "Directory of PEM certificates and keys (NAME.pem, NAME.crt + NAME.key, Kubernetes secret "
            + "directories). Repeatable.",
        keyPath: \.certificateDirectories,
        parseItem: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        renderItem: { $0 })

    public static let certificatePairs = CertificatePairsSetting()

    public static let defaultCertificate = Setting(
        "default-cert", group: .certificates, valueName: "name", type: "certificate name",
        default: "first certificate by name", example: "www", reload: .live,
        help: "Certificate to serve when the client sends no SNI or an unknown name.",
        keyPath: \.defaultCertificate,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.nonEmpty(text, what: "certificate name") },
        render: RenderedValue.optionalText)

    public static let strictSNI = Setting(
        "strict-sni", .toggle, group: .certificates, valueName: "", type: "switch; true or false in YAML",
        default: "off", example: "true", reload: .live,
        help: "Refuse a client whose SNI name no certificate has, or that sends none while several "
            + "certificates are loaded, with a fatal unrecognized_name alert instead of serving the default "
            + "certificate.",
        keyPath: \.strictSNI,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    /// The longest `--expiry-warning`: a year ahead is as far as any certificate lifetime makes sense.
    public static let expiryWarningRange = Duration.zero...Duration.seconds(365 * 86_400)

    public static let expiryWarning = Setting(
        "expiry-warning", .duration, group: .certificates, valueName: "duration",
        type: "duration, 0 to 365d; 0 turns the warnings off", example: "30d", reload: .live,
        help: "Warn about certificates that expire within this period, e.g. 30d; "
            + "\(DurationSyntax.format(expiryWarningRange.lowerBound)) to "
            + "\(DurationSyntax.format(expiryWarningRange.upperBound)), 0 disables the warnings.",
        keyPath: \.expiryWarning,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.duration(text, within: expiryWarningRange, what: "expiry warning")
        },
        render: RenderedValue.duration)

    public static let checkMissingCertDir = Setting(
        "check-missing-cert-dir", .toggle, group: .certificates, valueName: "",
        type: "switch; true or false in YAML", default: "off", example: "true", reload: .live,
        help: "For `certgate check` only: a --cert-dir that does not exist is a warning instead of an error "
            + "(for example configurations whose certificates are created where they are deployed). "
            + "run still needs it.",
        keyPath: \.checkMissingCertDir,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)
}
