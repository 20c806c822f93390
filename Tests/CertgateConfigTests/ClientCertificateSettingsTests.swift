import Testing

@testable import CertgateConfig

/// `--client-ca`, `--client-auth`, `--verify-depth`, `--roots-limit`, `--roots-max-age`, `--client-crl`,
/// `--allow-cn/-dns/-uri`, `--proxy-protocol` and `--forward-headers`.
@Suite("Client certificate settings")
struct ClientCertificateSettingsTests {
    static let filePath = "/etc/certgate/proxy.yaml"
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)

    var minimalFlags: ConfigurationFlags {
        ConfigurationFlags(listen: "0.0.0.0:8443", upstream: "127.0.0.1:8080", certificateDirectories: ["certs"])
    }

    var caFlags: ConfigurationFlags {
        var flags = minimalFlags
        flags.clientCA = "ca.pem"
        return flags
    }

    func file(_ yaml: String) throws(ConfigurationError) -> ConfigurationFile {
        try ConfigurationFile.parse(yaml: yaml, path: Self.filePath, baseDirectory: "/etc/certgate")
    }

    func resolveError(_ flags: ConfigurationFlags, file: ConfigurationFile? = nil) -> String? {
        do {
            _ = try resolver.resolve(flags, file: file)
            return nil
        } catch {
            return error.description
        }
    }

    func parseError(_ yaml: String) -> String? {
        do {
            _ = try file(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Defaults

    @Test("defaults: no client certificates, depth 4, two roots, no max age, no PROXY header, no headers")
    func defaults() throws {
        let configuration = try resolver.resolve(minimalFlags, file: nil)
        #expect(configuration.clientCA == nil)
        #expect(configuration.clientAuth == .none)
        #expect(configuration.verifyDepth == 4)
        #expect(configuration.rootsLimit == 2)
        #expect(configuration.rootsMaxAge == nil)
        #expect(configuration.clientCRL == nil)
        #expect(configuration.allowCN == [] && configuration.allowDNS == [] && configuration.allowURI == [])
        #expect(configuration.proxyProtocol == .off)
        #expect(configuration.forwardHeaders == false)
        #expect(ConfigurationDefaults.clientAuth == .none)
        #expect(ConfigurationDefaults.verifyDepth == 4)
        #expect(ConfigurationDefaults.rootsLimit == 2)
        #expect(ConfigurationDefaults.rootsMaxAge == nil)
        #expect(ConfigurationDefaults.proxyProtocol == .off)
        #expect(ConfigurationDefaults.forwardHeaders == false)
        // An empty file changes nothing.
        #expect(try resolver.resolve(minimalFlags, file: try file("")) == configuration)
    }

    @Test("the raw values of the new enums")
    func enumRawValues() {
        #expect(ClientAuthMode.allCases.map(\.rawValue) == ["none", "optional", "require"])
        #expect(ProxyProtocolMode.allCases.map(\.rawValue) == ["off", "v1", "v2"])
    }

    // MARK: --client-ca and --client-auth

    @Test("--client-ca is resolved against the working directory and makes require the default")
    func clientCAFlag() throws {
        let configuration = try resolver.resolve(caFlags, file: nil)
        #expect(configuration.clientCA == "/srv/work/ca.pem")
        #expect(configuration.clientAuth == .require)
        var flags = caFlags
        flags.clientCA = "/etc/pki/ca.pem"
        #expect(try resolver.resolve(flags, file: nil).clientCA == "/etc/pki/ca.pem")
    }

    @Test("client-ca in the file is resolved against the file's directory; the flag beats it")
    func clientCAFile() throws {
        let fromFile = try resolver.resolve(minimalFlags, file: try file("client-ca: pki/ca.pem\n"))
        #expect(fromFile.clientCA == "/etc/certgate/pki/ca.pem")
        #expect(fromFile.clientAuth == .require)
        let both = try resolver.resolve(caFlags, file: try file("client-ca: pki/ca.pem\n"))
        #expect(both.clientCA == "/srv/work/ca.pem")
    }

    @Test(
        "--client-auth takes none, optional or require, any case",
        arguments: [
            ("none", ClientAuthMode.none), ("optional", .optional), ("require", .require), ("REQUIRE", .require),
            ("Optional", .optional),
        ]
    )
    func clientAuthFlag(text: String, expected: ClientAuthMode) throws {
        var flags = caFlags
        flags.clientAuth = text
        let configuration = try resolver.resolve(flags, file: nil)
        #expect(configuration.clientAuth == expected)
        #expect(configuration.clientCA == "/srv/work/ca.pem")
    }

    @Test("client-auth in the file; the flag beats it")
    func clientAuthFile() throws {
        let yaml = "client-ca: ca.pem\nclient-auth: optional\n"
        #expect(try resolver.resolve(minimalFlags, file: try file(yaml)).clientAuth == .optional)
        var flags = minimalFlags
        flags.clientAuth = "require"
        #expect(try resolver.resolve(flags, file: try file(yaml)).clientAuth == .require)
        // none without a CA is fine, in the file or as a flag.
        #expect(try resolver.resolve(minimalFlags, file: try file("client-auth: none\n")).clientAuth == .none)
        flags.clientAuth = "none"
        #expect(try resolver.resolve(flags, file: nil).clientAuth == .none)
    }

    @Test("optional and require need a client CA")
    func clientAuthNeedsCA() throws {
        var flags = minimalFlags
        flags.clientAuth = "require"
        #expect(resolveError(flags) == "--client-auth: 'require' needs --client-ca")
        flags.clientAuth = "optional"
        #expect(resolveError(flags) == "--client-auth: 'optional' needs --client-ca")
        #expect(
            resolveError(minimalFlags, file: try file("client-auth: require\n"))
                == "\(Self.filePath): key 'client-auth': 'require' needs 'client-ca:' (or --client-ca)"
        )
        // The CA from the file satisfies the flag, and the other way round.
        #expect(resolveError(flags, file: try file("client-ca: ca.pem\n")) == nil)
        #expect(resolveError(caFlags, file: try file("client-auth: optional\n")) == nil)
    }

    @Test(
        "bad --client-auth values name the flag",
        arguments: [
            ("required", "--client-auth: 'required' is not a client auth mode (none, optional or require)"),
            ("", "--client-auth: '' is not a client auth mode (none, optional or require)"),
            ("on", "--client-auth: 'on' is not a client auth mode (none, optional or require)"),
        ]
    )
    func badClientAuth(text: String, message: String) {
        var flags = caFlags
        flags.clientAuth = text
        #expect(resolveError(flags) == message)
    }

    @Test("bad client CA and CRL paths name the flag or the key")
    func badPaths() throws {
        var flags = minimalFlags
        flags.clientCA = ""
        #expect(resolveError(flags) == "--client-ca: empty path")
        flags.clientCA = "a\0b"
        #expect(resolveError(flags) == "--client-ca: path contains a NUL byte")
        flags = caFlags
        flags.clientCRL = ""
        #expect(resolveError(flags) == "--client-crl: empty path")
        #expect(parseError("client-ca: [a, b]\n") == "\(Self.filePath): key 'client-ca': expected a path, found a list")
        #expect(
            parseError("client-crl: {a: b}\n") == "\(Self.filePath): key 'client-crl': expected a path, found a mapping"
        )
    }

    @Test("the client CA and CRL are not opened while resolving")
    func pathsNotRead() throws {
        var flags = minimalFlags
        flags.clientCA = "/nonexistent/ca.pem"
        flags.clientCRL = "/nonexistent/crl.pem"
        let configuration = try resolver.resolve(flags, file: nil)
        #expect(configuration.clientCA == "/nonexistent/ca.pem")
        #expect(configuration.clientCRL == "/nonexistent/crl.pem")
    }

    // MARK: --client-crl

    @Test("--client-crl and client-crl resolve like other paths; the flag wins")
    func clientCRL() throws {
        var flags = caFlags
        flags.clientCRL = "crl.pem"
        #expect(try resolver.resolve(flags, file: nil).clientCRL == "/srv/work/crl.pem")
        #expect(
            try resolver.resolve(caFlags, file: try file("client-crl: crl.pem\n")).clientCRL == "/etc/certgate/crl.pem")
        #expect(try resolver.resolve(flags, file: try file("client-crl: other.pem\n")).clientCRL == "/srv/work/crl.pem")
    }

    @Test("--client-crl needs a client CA")
    func clientCRLNeedsCA() throws {
        var flags = minimalFlags
        flags.clientCRL = "crl.pem"
        #expect(resolveError(flags) == "--client-crl: needs --client-ca")
        #expect(
            resolveError(minimalFlags, file: try file("client-crl: crl.pem\n"))
                == "\(Self.filePath): key 'client-crl': needs 'client-ca:' (or --client-ca)"
        )
        #expect(resolveError(flags, file: try file("client-ca: ca.pem\n")) == nil)
    }

    // MARK: --verify-depth and --roots-limit

    @Test("--verify-depth takes 1 to 16", arguments: [("1", 1), ("4", 4), ("16", 16), ("09", 9)])
    func verifyDepth(text: String, expected: Int) throws {
        var flags = minimalFlags
        flags.verifyDepth = text
        #expect(try resolver.resolve(flags, file: nil).verifyDepth == expected)
    }

    @Test("--roots-limit takes 1 to 16", arguments: [("1", 1), ("2", 2), ("16", 16)])
    func rootsLimit(text: String, expected: Int) throws {
        var flags = minimalFlags
        flags.rootsLimit = text
        #expect(try resolver.resolve(flags, file: nil).rootsLimit == expected)
    }

    @Test(
        "bad --verify-depth and --roots-limit values name the flag",
        arguments: [
            ("0", "'0' is out of range; the X must be between 1 and 16"),
            ("17", "'17' is out of range; the X must be between 1 and 16"),
            ("99999999999999999999999", "'99999999999999999999999' is out of range; the X must be between 1 and 16"),
            ("-1", "'-1' is not a number (the X must be 1-16)"),
            ("four", "'four' is not a number (the X must be 1-16)"),
            ("4.0", "'4.0' is not a number (the X must be 1-16)"),
            ("", "'' is not a number (the X must be 1-16)"),
        ]
    )
    func badIntegers(text: String, template: String) {
        var flags = minimalFlags
        flags.verifyDepth = text
        #expect(
            resolveError(flags) == "--verify-depth: " + template.replacingOccurrences(of: "X", with: "verify depth"))
        flags = minimalFlags
        flags.rootsLimit = text
        #expect(resolveError(flags) == "--roots-limit: " + template.replacingOccurrences(of: "X", with: "roots limit"))
    }

    @Test("verify-depth and roots-limit in the file; flags beat them; bad file values name the key")
    func integersInFile() throws {
        let yaml = "verify-depth: 8\nroots-limit: 3\n"
        let fromFile = try resolver.resolve(minimalFlags, file: try file(yaml))
        #expect(fromFile.verifyDepth == 8 && fromFile.rootsLimit == 3)
        var flags = minimalFlags
        flags.verifyDepth = "2"
        flags.rootsLimit = "5"
        let both = try resolver.resolve(flags, file: try file(yaml))
        #expect(both.verifyDepth == 2 && both.rootsLimit == 5)
        #expect(
            resolveError(minimalFlags, file: try file("verify-depth: 20\n"))
                == "\(Self.filePath): key 'verify-depth': '20' is out of range; the verify depth must be between 1 and 16"
        )
        #expect(
            resolveError(minimalFlags, file: try file("roots-limit: many\n"))
                == "\(Self.filePath): key 'roots-limit': 'many' is not a number (the roots limit must be 1-16)"
        )
        // A bad file value is reported even when a flag hides it.
        #expect(
            resolveError(flags, file: try file("roots-limit: 0\n"))
                == "\(Self.filePath): key 'roots-limit': '0' is out of range; the roots limit must be between 1 and 16"
        )
        #expect(
            parseError("verify-depth: [1]\n") == "\(Self.filePath): key 'verify-depth': expected a number, found a list"
        )
    }

    // MARK: --roots-max-age

    @Test(
        "--roots-max-age takes off, 0 or at least 1m",
        arguments: [
            ("off", Duration?.none), ("OFF", nil), ("0", nil), ("0s", nil), ("1m", .seconds(60)),
            ("60s", .seconds(60)), ("1d", .seconds(86_400)), ("60000ms", .seconds(60)),
        ]
    )
    func rootsMaxAge(text: String, expected: Duration?) throws {
        var flags = minimalFlags
        flags.rootsMaxAge = text
        #expect(try resolver.resolve(flags, file: nil).rootsMaxAge == expected)
    }

    @Test(
        "bad --roots-max-age values name the flag",
        arguments: [
            ("59s", "--roots-max-age: '59s' is too short; the roots max age must be at least 1m (or off)"),
            ("1ms", "--roots-max-age: '1ms' is too short; the roots max age must be at least 1m (or off)"),
            ("never", "--roots-max-age: 'never' is not a duration or off (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            ("-1m", "--roots-max-age: '-1m' is negative; durations must be 0 or more"),
            ("5", "--roots-max-age: '5' has no unit (did you mean 5s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            ("", "--roots-max-age: empty duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
        ]
    )
    func badRootsMaxAge(text: String, message: String) {
        var flags = minimalFlags
        flags.rootsMaxAge = text
        #expect(resolveError(flags) == message)
    }

    @Test("roots-max-age in the file: durations, bare seconds and off; the flag beats it")
    func rootsMaxAgeFile() throws {
        #expect(
            try resolver.resolve(minimalFlags, file: try file("roots-max-age: 2h\n")).rootsMaxAge == .seconds(7_200))
        #expect(try resolver.resolve(minimalFlags, file: try file("roots-max-age: 120\n")).rootsMaxAge == .seconds(120))
        #expect(try resolver.resolve(minimalFlags, file: try file("roots-max-age: off\n")).rootsMaxAge == nil)
        var flags = minimalFlags
        flags.rootsMaxAge = "off"
        #expect(try resolver.resolve(flags, file: try file("roots-max-age: 2h\n")).rootsMaxAge == nil)
        #expect(
            resolveError(minimalFlags, file: try file("roots-max-age: 30\n"))
                == "\(Self.filePath): key 'roots-max-age': '30s' is too short; the roots max age must be at least 1m (or off)"
        )
    }

    // MARK: --allow-cn, --allow-dns, --allow-uri

    @Test("--allow-* flags are repeatable and stored as written")
    func allowFlags() throws {
        var flags = caFlags
        flags.allowCN = ["client-a", "*.svc"]
        flags.allowDNS = ["*.example.com", "api.example.com"]
        flags.allowURI = ["spiffe://example.org/ns/*/sa/web"]
        let configuration = try resolver.resolve(flags, file: nil)
        #expect(configuration.allowCN == ["client-a", "*.svc"])
        #expect(configuration.allowDNS == ["*.example.com", "api.example.com"])
        #expect(configuration.allowURI == ["spiffe://example.org/ns/*/sa/web"])
    }

    @Test("allow-* keys take a list or a single value; a flag list replaces the file's list")
    func allowFile() throws {
        let yaml = """
            client-ca: ca.pem
            allow-cn: [a, "b c-d"]
            allow-dns: "*.example.com"
            allow-uri:
              - spiffe://example.org/web
              - urn:example:1
            """
        // "b c-d" contains whitespace: rejected, naming the entry.
        #expect(
            resolveError(minimalFlags, file: try file(yaml))
                == "\(Self.filePath): key 'allow-cn[1]': 'b c-d' contains whitespace"
        )
        let good = try file(yaml.replacingOccurrences(of: "\"b c-d\"", with: "b"))
        #expect(good.values["allow-cn"]?.items == ["a", "b"])
        #expect(good.values["allow-dns"]?.items == ["*.example.com"])
        #expect(good.values["allow-uri"]?.items == ["spiffe://example.org/web", "urn:example:1"])
        let fromFile = try resolver.resolve(minimalFlags, file: good)
        #expect(fromFile.allowCN == ["a", "b"])
        #expect(fromFile.allowDNS == ["*.example.com"])
        #expect(fromFile.allowURI == ["spiffe://example.org/web", "urn:example:1"])

        var flags = minimalFlags
        flags.allowCN = ["z"]
        let both = try resolver.resolve(flags, file: good)
        #expect(both.allowCN == ["z"])
        #expect(both.allowDNS == ["*.example.com"])

        // Numbers and YAML booleans are taken as written; an empty list means no restriction.
        let typed = try file("client-ca: ca.pem\nallow-cn: [1234, true]\nallow-dns: []\n")
        #expect(typed.values["allow-cn"]?.items == ["1234", "true"])
        #expect(try resolver.resolve(minimalFlags, file: typed).allowDNS == [])
    }

    @Test(
        "bad --allow-* values name the flag",
        arguments: [
            ("", "empty value"), ("a b", "'a b' contains whitespace"), (" a", "' a' contains whitespace"),
            ("a\tb", "'a\tb' contains whitespace"),
        ]
    )
    func badAllowValues(text: String, message: String) {
        var flags = caFlags
        flags.allowCN = ["ok", text]
        #expect(resolveError(flags) == "--allow-cn: \(message)")
        flags = caFlags
        flags.allowDNS = [text]
        #expect(resolveError(flags) == "--allow-dns: \(message)")
        flags = caFlags
        flags.allowURI = [text]
        #expect(resolveError(flags) == "--allow-uri: \(message)")
    }

    @Test("bad allow-* file values and shapes name the key")
    func badAllowFile() {
        #expect(
            resolveError(caFlags, file: try? file("allow-dns: ['']\n"))
                == "\(Self.filePath): key 'allow-dns[0]': empty value"
        )
        #expect(
            resolveError(caFlags, file: try? file("allow-uri: ''\n"))
                == "\(Self.filePath): key 'allow-uri': empty value"
        )
        #expect(
            parseError("allow-cn: {a: b}\n")
                == "\(Self.filePath): key 'allow-cn': expected a name pattern or a list of them, found a mapping")
        #expect(
            parseError("allow-dns: [[a]]\n")
                == "\(Self.filePath): key 'allow-dns[0]': expected a name pattern, found a list")
        #expect(
            parseError("allow-uri: [a, ~]\n")
                == "\(Self.filePath): key 'allow-uri[1]': expected a name pattern, found nothing")
    }

    @Test("--allow-* need a client CA")
    func allowNeedsCA() throws {
        for (keyPath, flag, key) in [
            (\ConfigurationFlags.allowCN, "--allow-cn", "allow-cn"),
            (\ConfigurationFlags.allowDNS, "--allow-dns", "allow-dns"),
            (\ConfigurationFlags.allowURI, "--allow-uri", "allow-uri"),
        ] {
            var flags = minimalFlags
            flags[keyPath: keyPath] = ["x"]
            #expect(resolveError(flags) == "\(flag): needs --client-ca")
            #expect(
                resolveError(minimalFlags, file: try file("\(key): [x]\n"))
                    == "\(Self.filePath): key '\(key)': needs 'client-ca:' (or --client-ca)"
            )
            #expect(resolveError(flags, file: try file("client-ca: ca.pem\n")) == nil)
        }
    }

    // MARK: --proxy-protocol

    @Test(
        "--proxy-protocol takes off, v1 or v2",
        arguments: [("off", ProxyProtocolMode.off), ("v1", .v1), ("v2", .v2), ("V2", .v2)]
    )
    func proxyProtocol(text: String, expected: ProxyProtocolMode) throws {
        var flags = minimalFlags
        flags.proxyProtocol = text
        #expect(try resolver.resolve(flags, file: nil).proxyProtocol == expected)
    }

    @Test("proxy-protocol in the file; the flag beats it; bad values name the flag or key")
    func proxyProtocolFile() throws {
        #expect(try resolver.resolve(minimalFlags, file: try file("proxy-protocol: v1\n")).proxyProtocol == .v1)
        #expect(try resolver.resolve(minimalFlags, file: try file("proxy-protocol: off\n")).proxyProtocol == .off)
        var flags = minimalFlags
        flags.proxyProtocol = "v2"
        #expect(try resolver.resolve(flags, file: try file("proxy-protocol: v1\n")).proxyProtocol == .v2)
        flags.proxyProtocol = "2"
        #expect(resolveError(flags) == "--proxy-protocol: '2' is not a PROXY protocol version (off, v1 or v2)")
        #expect(
            resolveError(minimalFlags, file: try file("proxy-protocol: v3\n"))
                == "\(Self.filePath): key 'proxy-protocol': 'v3' is not a PROXY protocol version (off, v1 or v2)"
        )
        #expect(
            parseError("proxy-protocol: [v1]\n")
                == "\(Self.filePath): key 'proxy-protocol': expected off, v1 or v2, found a list")
    }

    // MARK: --forward-headers

    @Test("--forward-headers switches on; the file takes true or false; the switch beats false")
    func forwardHeaders() throws {
        var flags = minimalFlags
        flags.forwardHeaders = true
        #expect(try resolver.resolve(flags, file: nil).forwardHeaders == true)
        #expect(try resolver.resolve(minimalFlags, file: try file("forward-headers: true\n")).forwardHeaders == true)
        #expect(try resolver.resolve(minimalFlags, file: try file("forward-headers: False\n")).forwardHeaders == false)
        #expect(try resolver.resolve(flags, file: try file("forward-headers: false\n")).forwardHeaders == true)
        #expect(
            resolveError(minimalFlags, file: try file("forward-headers: yes\n"))
                == "\(Self.filePath): key 'forward-headers': 'yes' is not true or false"
        )
        #expect(
            parseError("forward-headers: [true]\n")
                == "\(Self.filePath): key 'forward-headers': expected true or false, found a list")
    }

    // MARK: Rendering

    @Test("the new defaults are rendered")
    func renderDefaults() throws {
        let yaml = try resolver.resolve(minimalFlags, file: nil).renderedAsConfigurationFile()
        #expect(
            yaml.contains(
                "\nclient-auth: none\nverify-depth: 4\nroots-limit: 2\nroots-max-age: off\n"
                    + "proxy-protocol: off\nforward-headers: false\n"
            )
        )
        #expect(!yaml.contains("client-ca:") && !yaml.contains("allow-cn:"))
    }

    @Test("client certificate settings survive a render round trip")
    func renderRoundTrip() throws {
        let base = try resolver.resolve(minimalFlags, file: nil)
        var full = base
        full.clientCA = "/etc/pki/ca \"x\".pem"
        full.clientAuth = .optional
        full.verifyDepth = 16
        full.rootsLimit = 1
        full.rootsMaxAge = .seconds(90)
        full.clientCRL = "/etc/pki/crl.pem"
        full.allowCN = ["a", "*.b", "1.2", "true", "on"]
        full.allowDNS = ["*.example.com"]
        full.allowURI = ["spiffe://example.org/ns/*/sa/web", "urn:x:y#z"]
        full.proxyProtocol = .v2
        full.forwardHeaders = true
        var explicitNone = base
        explicitNone.clientCA = "/ca.pem"
        explicitNone.clientAuth = .none
        var require = base
        require.clientCA = "/ca.pem"
        require.clientAuth = .require
        require.proxyProtocol = .v1
        for configuration in [base, full, explicitNone, require] {
            let yaml = configuration.renderedAsConfigurationFile()
            let parsed = try ConfigurationFile.parse(yaml: yaml, path: "rendered.yaml", baseDirectory: "/elsewhere")
            #expect(try resolver.resolve(ConfigurationFlags(), file: parsed) == configuration, "\(yaml)")
        }
    }
}

@Suite("config/example.yaml: client certificates")
struct ExampleClientCertificateTests {
    static let defaultKeys = [
        "client-auth", "verify-depth", "roots-limit", "roots-max-age", "proxy-protocol", "forward-headers",
    ]
    static let optInKeys = ["client-ca", "client-crl", "allow-cn", "allow-dns", "allow-uri"]

    static func uncommented(_ text: String, _ keys: [String]) -> String {
        var result = text
        for key in keys {
            result = result.replacingOccurrences(of: "\n# \(key): ", with: "\n\(key): ")
        }
        return result
    }

    @Test("each new key appears once, commented out; the commented defaults are the defaults")
    func commentedDefaults() throws {
        let path = ExampleConfigurationTests.examplePath
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in Self.defaultKeys + Self.optInKeys {
            #expect(text.components(separatedBy: "\n# \(key): ").count == 2, "one '# \(key):' line")
            #expect(!text.contains("\n\(key):"), "'\(key):' is commented out")
        }
        let resolver = ConfigurationResolver(currentDirectory: "/", processorCount: 2)
        let example = try resolver.resolve(ConfigurationFlags(configFile: path))
        #expect(example.clientCA == nil && example.clientAuth == .none)

        let file = try ConfigurationFile.parse(
            yaml: Self.uncommented(text, Self.defaultKeys), path: path, baseDirectory: "/"
        )
        #expect(file.clientAuth != nil && file.verifyDepth != nil && file.rootsLimit != nil)
        #expect(file.rootsMaxAge != nil && file.proxyProtocol != nil && file.forwardHeaders != nil)
        let configuration = try resolver.resolve(ConfigurationFlags(), file: file)
        #expect(configuration.clientAuth == ConfigurationDefaults.clientAuth)
        #expect(configuration.verifyDepth == ConfigurationDefaults.verifyDepth)
        #expect(configuration.rootsLimit == ConfigurationDefaults.rootsLimit)
        #expect(configuration.rootsMaxAge == ConfigurationDefaults.rootsMaxAge)
        #expect(configuration.proxyProtocol == ConfigurationDefaults.proxyProtocol)
        #expect(configuration.forwardHeaders == ConfigurationDefaults.forwardHeaders)
    }

    @Test("uncommenting the client CA, CRL and allow lists gives a valid configuration")
    func optInKeysResolve() throws {
        let path = ExampleConfigurationTests.examplePath
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let file = try ConfigurationFile.parse(
            yaml: Self.uncommented(text, Self.optInKeys), path: path, baseDirectory: "/")
        let configuration = try ConfigurationResolver(currentDirectory: "/", processorCount: 2)
            .resolve(ConfigurationFlags(), file: file)
        #expect(configuration.clientCA == "/etc/certgate/client-ca.pem")
        #expect(configuration.clientAuth == .require)
        #expect(configuration.clientCRL == "/etc/certgate/client-ca.crl")
        #expect(configuration.allowCN == ["backup-agent"])
        #expect(configuration.allowDNS == ["*.clients.example.com"])
        #expect(configuration.allowURI == ["spiffe://example.com/ns/*/sa/web"])
    }
}
