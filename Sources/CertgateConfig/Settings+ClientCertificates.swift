extension Settings {
    static let clientCertificateSettings: [any AnySetting] = [
        clientCA, clientAuth, verifyDepth, rootsLimit, rootsMaxAge, clientCRL, allowCN, allowDNS, allowURI,
        perCertificate,
    ]
    static let upstreamProtocolSettings: [any AnySetting] = [proxyProtocol, forwardHeaders, alpn, upstreamProtocol]

    // MARK: Client certificates

    public static let clientCA = Setting(
        "client-ca", group: .clientCertificates, valueName: "file", type: "path",
        example: "/etc/certgate/client-ca.pem",
        reload: .live,
        help: "PEM bundle of the CAs that client certificates must chain to. Turns on client certificates "
            + "(--client-auth require unless set).",
        keyPath: \.clientCA,
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: RenderedValue.optionalText)

    public static let clientAuth = Setting(
        "client-auth", group: .clientCertificates, valueName: "none|optional|require",
        type: "enum; optional and require need --client-ca", default: "none, require with --client-ca",
        example: "optional", reload: .live,
        help: "Whether clients must present a certificate: none, optional (verified when sent) or require. "
            + "optional and require need --client-ca.",
        keyPath: \.clientAuth,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, ClientAuthMode.self, what: "a client auth mode")
        },
        render: RenderedValue.choice)

    /// The accepted `--verify-depth` values, inclusive.
    public static let verifyDepthRange = 1...16

    public static let verifyDepth = Setting(
        "verify-depth", group: .clientCertificates, valueName: "n", type: "integer 1-16", example: "2", reload: .live,
        help:
            "Longest client certificate chain accepted, \(verifyDepthRange.lowerBound)-\(verifyDepthRange.upperBound).",
        keyPath: \.verifyDepth,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.integer(text, within: verifyDepthRange, what: "verify depth")
        },
        render: { .scalar(String($0)) })

    /// The accepted `--roots-limit` values, inclusive.
    public static let rootsLimitRange = 1...16

    public static let rootsLimit = Setting(
        "roots-limit", group: .clientCertificates, valueName: "n", type: "integer 1-16", example: "3", reload: .live,
        help: "How many --client-ca generations stay trusted at once while a CA rotation settles, "
            + "\(rootsLimitRange.lowerBound)-\(rootsLimitRange.upperBound).",
        keyPath: \.rootsLimit,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.integer(text, within: rootsLimitRange, what: "roots limit")
        },
        render: { .scalar(String($0)) })

    /// The shortest `--roots-max-age` other than off.
    public static let minimumRootsMaxAge = Duration.seconds(60)
    /// The longest `--roots-max-age` other than off: a year, like `--expiry-warning`.
    public static let maximumRootsMaxAge = Duration.seconds(365 * 86_400)

    public static let rootsMaxAge = Setting(
        "roots-max-age", .duration, group: .clientCertificates, valueName: "duration|off",
        type: "duration, 1m to 365d, or off (also 0)", example: "7d", reload: .live,
        help: "Stop trusting a superseded --client-ca generation after this long, e.g. 1d; "
            + "\(DurationSyntax.format(minimumRootsMaxAge)) to \(DurationSyntax.format(maximumRootsMaxAge)); "
            + "off or 0 disables it.",
        keyPath: \.rootsMaxAge,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.offOrDuration(
                text, atLeast: minimumRootsMaxAge, atMost: maximumRootsMaxAge, what: "the roots max age")
        },
        render: RenderedValue.durationOrOff)

    public static let clientCRL = Setting(
        "client-crl", group: .clientCertificates, valueName: "file", type: "path; needs --client-ca",
        example: "/etc/certgate/client-ca.crl", reload: .live,
        help: "PEM certificate revocation list checked against client certificates. Needs --client-ca.",
        keyPath: \.clientCRL,
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: RenderedValue.optionalText)

    public static let allowCN = Setting(
        list: "allow-cn", group: .clientCertificates, valueName: "pattern",
        type: "pattern, or list of patterns; needs --client-ca", default: "any", example: "backup-agent", reload: .live,
        help: "Accept only client certificates whose subject CN matches; * matches one whole label. "
            + "Repeatable. Needs --client-ca.",
        keyPath: \.allowCN, parseItem: { text, _ throws(ConfigurationValueError) in try ValueParser.namePattern(text) },
        renderItem: { $0 })

    public static let allowDNS = Setting(
        list: "allow-dns", group: .clientCertificates, valueName: "pattern",
        type: "pattern, or list of patterns; needs --client-ca", default: "any", example: "*.clients.example.com",
        reload: .live,
        help: "Accept only client certificates with a matching DNS subject alternative name; * matches one "
            + "whole label. Repeatable. Needs --client-ca.",
        keyPath: \.allowDNS,
        parseItem: { text, _ throws(ConfigurationValueError) in try ValueParser.namePattern(text) },
        renderItem: { $0 })

    public static let allowURI = Setting(
        list: "allow-uri", group: .clientCertificates, valueName: "pattern",
        type: "pattern, or list of patterns; needs --client-ca", default: "any",
        example: "spiffe://example.com/ns/*/sa/web", reload: .live,
        help: "Accept only client certificates with a matching URI subject alternative name; * matches one "
            + "whole path segment. Repeatable. Needs --client-ca.",
        keyPath: \.allowURI,
        parseItem: { text, _ throws(ConfigurationValueError) in try ValueParser.namePattern(text) },
        renderItem: { $0 })

    public static let perCertificate = PerCertificateSetting()

    // MARK: Upstream protocol and client identity

    public static let proxyProtocol = Setting(
        "proxy-protocol", group: .upstreamProtocol, valueName: "off|v1|v2", type: "enum", example: "v2", reload: .live,
        help: "Send a PROXY protocol header (v1 text or v2 binary) to the upstream before the client's bytes.",
        keyPath: \.proxyProtocol,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, ProxyProtocolMode.self, what: "a PROXY protocol version")
        },
        render: RenderedValue.choice)

    public static let forwardHeaders = Setting(
        "forward-headers", .toggle, group: .upstreamProtocol, valueName: "", type: "switch; true or false in YAML",
        default: "off", example: "true", reload: .live,
        help: "Parse each HTTP/1.1 request and set X-Forwarded-For, -Proto, -Port and, for a verified client "
            + "certificate, X-Forwarded-Client-Cert (client copies are removed); malformed or ambiguous "
            + "requests get 400 and the connection is closed; an unreachable upstream gets 502/504.",
        keyPath: \.forwardHeaders,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    public static let alpn = Setting(
        "alpn", .commaList, group: .upstreamProtocol, valueName: "list",
        type: "comma-separated protocol names (YAML: a string or a list), or off; h2 with --upstream-protocol "
            + "http1 cannot go with --proxy-protocol",
        example: "http/1.1", reload: .live,
        help: "ALPN protocols to agree on, most preferred first, e.g. h2,http/1.1 (off: no ALPN). With "
            + "--upstream-protocol http1 certgate terminates HTTP/2 and forwards each request as HTTP/1.1 with "
            + "the --forward-headers fields (client copies removed); with h2c a connection that agrees on h2 is "
            + "passed through untouched.",
        keyPath: \.alpn,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.protocolList(text) },
        render: { .text($0.isEmpty ? "off" : $0.joined(separator: ",")) })

    public static let upstreamProtocol = Setting(
        "upstream-protocol", group: .upstreamProtocol, valueName: "http1|h2c",
        type: "enum; h2c cannot be combined with --forward-headers", example: "h2c", reload: .live,
        help: "What the upstream speaks in clear text: http1 (HTTP/1.x or any byte stream; HTTP/2 clients are "
            + "terminated and their requests sent as HTTP/1.1) or h2c (HTTP/2 with prior knowledge: h2 "
            + "connections are passed through untouched).",
        keyPath: \.upstreamProtocol,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, UpstreamProtocol.self, what: "an upstream protocol")
        },
        render: RenderedValue.choice)
}
