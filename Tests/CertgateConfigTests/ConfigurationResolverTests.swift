import Foundation
import Testing

@testable import CertgateConfig

/// One optional string field of the flags, for parameterized tests.
typealias FlagField = WritableKeyPath<ConfigurationFlags, String?> & Sendable

@Suite("Merging flags and file")
struct ConfigurationResolverTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 6)

    /// The smallest set of flags that resolves.
    var minimalFlags: ConfigurationFlags {
        ConfigurationFlags(listen: "0.0.0.0:8443", upstream: "127.0.0.1:8080", certificateDirectories: ["certs"])
    }

    func file(_ yaml: String) throws -> ConfigurationFile {
        try ConfigurationFile.parse(yaml: yaml, path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
    }

    /// The description of the error resolving `flags` (and `file`) throws, or `nil` if it resolves.
    func resolveError(_ flags: ConfigurationFlags, file: ConfigurationFile? = nil) -> String? {
        do {
            _ = try resolver.resolve(flags, file: file)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("defaults fill everything not given")
    func defaults() throws {
        let configuration = try resolver.resolve(minimalFlags, file: nil)
        #expect(configuration.listen == SocketEndpoint(host: "0.0.0.0", port: 8443))
        #expect(configuration.upstream == SocketEndpoint(host: "127.0.0.1", port: 8080))
        #expect(configuration.certificateDirectories == ["/srv/work/certs"])
        #expect(configuration.certificatePairs == [])
        #expect(configuration.defaultCertificate == nil)
        #expect(configuration.workers == 6)
        #expect(configuration.admin == nil)
        #expect(configuration.logFormat == .text)
        #expect(configuration.logLevel == .info)
        #expect(configuration.minimumTLSVersion == .v1_2)
        #expect(configuration.ciphers == nil)
        #expect(configuration.ciphersuites == nil)
        #expect(configuration.connectTimeout == .seconds(5))
        #expect(configuration.handshakeTimeout == .seconds(10))
    }

    @Test("workers auto follows the core count, clamped to 1...256", arguments: [(0, 1), (1, 1), (6, 6), (1_000, 256)])
    func autoWorkers(cores: Int, expected: Int) throws {
        var flags = minimalFlags
        let resolver = ConfigurationResolver(currentDirectory: "/", processorCount: cores)
        #expect(try resolver.resolve(flags, file: nil).workers == expected)
        flags.workers = "AUTO"
        #expect(try resolver.resolve(flags, file: nil).workers == expected)
    }

    @Test("every flag is applied")
    func everyFlag() throws {
        let flags = ConfigurationFlags(
            listen: "[::]:443",
            upstream: "backend:80",
            certificates: ["a.pem", "/abs/b.pem"],
            keys: ["keys/a.key", "/abs/b.key"],
            defaultCertificate: "example.org",
            workers: "3",
            admin: ":9100",
            logFormat: "json",
            logLevel: "warn",
            minimumTLSVersion: "1.3",
            ciphers: "HIGH:!aNULL",
            ciphersuites: "TLS_AES_128_GCM_SHA256",
            connectTimeout: "250ms",
            handshakeTimeout: "1m"
        )
        let expected = ProxyConfiguration(
            listen: SocketEndpoint(host: "::", port: 443),
            upstream: SocketEndpoint(host: "backend", port: 80),
            certificatePairs: [
                CertificatePair(certificatePath: "/srv/work/a.pem", keyPath: "/srv/work/keys/a.key"),
                CertificatePair(certificatePath: "/abs/b.pem", keyPath: "/abs/b.key"),
            ],
            defaultCertificate: "example.org",
            workers: 3,
            admin: SocketEndpoint(host: "127.0.0.1", port: 9100),
            logFormat: .json,
            logLevel: .warning,
            minimumTLSVersion: .v1_3,
            ciphers: "HIGH:!aNULL",
            ciphersuites: "TLS_AES_128_GCM_SHA256",
            connectTimeout: .milliseconds(250),
            handshakeTimeout: .seconds(60)
        )
        #expect(try resolver.resolve(flags, file: nil) == expected)
    }

    @Test("flags win over the file key by key; unset flags leave the file's values")
    func flagsBeatFile() throws {
        let file = try file(
            """
            listen: 0.0.0.0:443
            upstream: 10.0.0.1:80
            cert-dir: certs
            workers: 2
            log-level: debug
            log-format: json
            connect-timeout: 7
            """
        )
        let flags = ConfigurationFlags(upstream: "10.0.0.2:81", logLevel: "error", handshakeTimeout: "3s")
        let configuration = try resolver.resolve(flags, file: file)
        #expect(configuration.listen == SocketEndpoint(host: "0.0.0.0", port: 443))
        #expect(configuration.upstream == SocketEndpoint(host: "10.0.0.2", port: 81))
        #expect(configuration.certificateDirectories == ["/etc/certgate/certs"])
        #expect(configuration.workers == 2)
        #expect(configuration.logLevel == .error)
        #expect(configuration.logFormat == .json)
        #expect(configuration.connectTimeout == .seconds(7))
        #expect(configuration.handshakeTimeout == .seconds(3))
    }

    @Test("--cert-dir and --cert/--key replace the file's lists, each independently")
    func listReplacement() throws {
        let file = try file(
            """
            listen: 0.0.0.0:443
            upstream: 10.0.0.1:80
            cert-dir: [a, b]
            certs: [{cert: f.pem, key: f.key}]
            """
        )
        let withDirectory = try resolver.resolve(ConfigurationFlags(certificateDirectories: ["c"]), file: file)
        #expect(withDirectory.certificateDirectories == ["/srv/work/c"])
        #expect(
            withDirectory.certificatePairs
                == [CertificatePair(certificatePath: "/etc/certgate/f.pem", keyPath: "/etc/certgate/f.key")]
        )

        let withPair = try resolver.resolve(ConfigurationFlags(certificates: ["g.pem"], keys: ["g.key"]), file: file)
        #expect(withPair.certificateDirectories == ["/etc/certgate/a", "/etc/certgate/b"])
        #expect(
            withPair.certificatePairs
                == [CertificatePair(certificatePath: "/srv/work/g.pem", keyPath: "/srv/work/g.key")]
        )
    }

    @Test("a file value is validated even when a flag overrides it")
    func overriddenFileValueStillValidated() throws {
        let file = try file("workers: 0\n")
        var flags = minimalFlags
        flags.workers = "4"
        #expect(
            resolveError(flags, file: file)
                == "/etc/certgate/proxy.yaml: key 'workers': 0 workers out of range (1-256 or auto)"
        )
    }

    @Test(
        "missing required settings name the flag and the key",
        arguments: [
            (
                ConfigurationFlags(upstream: "a:1", certificateDirectories: ["c"]),
                "missing --listen (or 'listen:' in the config file)"
            ),
            (
                ConfigurationFlags(listen: "a:1", certificateDirectories: ["c"]),
                "missing --upstream (or 'upstream:' in the config file)"
            ),
            (
                ConfigurationFlags(listen: "a:1", upstream: "b:2"),
                "missing a certificate: give --cert-dir DIR or --cert FILE --key FILE "
                    + "(or 'cert-dir:' / 'certs:' in the config file)"
            ),
        ]
    )
    func requiredSettings(flags: ConfigurationFlags, message: String) {
        #expect(resolveError(flags) == message)
    }

    @Test("an empty cert-dir list in the file is no certificate source")
    func emptyCertDirList() throws {
        let file = try file("listen: a:1\nupstream: b:2\ncert-dir: []\n")
        #expect(resolveError(ConfigurationFlags(), file: file)?.hasPrefix("missing a certificate") == true)
    }

    @Test("--cert and --key must pair up, and the error says which one is unpaired")
    func unpairedCertificates() {
        let pairing = "(each --cert needs a --key, in the same order)"
        let reversePairing = "(each --key needs a --cert, in the same order)"
        var flags = minimalFlags
        flags.certificates = ["a.pem", "b.pem"]
        flags.keys = ["a.key"]
        #expect(resolveError(flags) == "--cert: 'b.pem' has no matching --key \(pairing)")
        flags.certificates = ["a.pem"]
        flags.keys = ["a.key", "b.key"]
        #expect(resolveError(flags) == "--key: 'b.key' has no matching --cert \(reversePairing)")
        flags.certificates = []
        flags.keys = ["a.key"]
        #expect(resolveError(flags) == "--key: 'a.key' has no matching --cert \(reversePairing)")
    }

    @Test(
        "bad flag values are reported against the flag",
        arguments: [
            (\ConfigurationFlags.listen, "nope", "--listen: 'nope' is not HOST:PORT"),
            (\.upstream, "host:70000", "--upstream: port 70000 out of range (1-65535)"),
            (\.admin, "localhost", "--admin: 'localhost' is not HOST:PORT"),
            (\.workers, "0", "--workers: 0 workers out of range (1-256 or auto)"),
            (\.workers, "257", "--workers: 257 workers out of range (1-256 or auto)"),
            (\.workers, "-1", "--workers: '-1' is not a number of workers (1-256 or auto)"),
            (\.workers, "many", "--workers: 'many' is not a number of workers (1-256 or auto)"),
            (\.logFormat, "xml", "--log-format: 'xml' is not a log format (text or json)"),
            (
                \.logLevel, "verbose",
                "--log-level: 'verbose' is not a log level (trace, debug, info, notice, warning, error or critical)"
            ),
            (\.minimumTLSVersion, "1.1", "--min-tls: '1.1' is not a supported TLS version (1.2 or 1.3)"),
            (\.connectTimeout, "5", "--connect-timeout: '5' has no unit (did you mean 5s? e.g. 150ms, 2s, 5m, 1h, 1d)"),
            (\.connectTimeout, "0", "--connect-timeout: '0' is not a usable timeout; it must be greater than 0"),
            (\.handshakeTimeout, "-1s", "--handshake-timeout: '-1s' is negative; durations must be 0 or more"),
            (\.ciphers, " ", "--ciphers: empty cipher list"),
            (\.ciphersuites, "", "--ciphersuites: empty ciphersuite list"),
            (\.defaultCertificate, "", "--default-cert: empty certificate name"),
            (\.configFile, "", "--config: empty path"),
        ] as [(FlagField, String, String)]
    )
    func badFlagValues(keyPath: FlagField, value: String, message: String) throws {
        var flags = minimalFlags
        flags[keyPath: keyPath] = value
        let error = try #require(throws: ConfigurationError.self) { try resolver.resolve(flags) }
        #expect(error.description == message)
    }

    @Test("bad list flag values name the flag")
    func badPathFlags() {
        var flags = minimalFlags
        flags.certificateDirectories = ["ok", ""]
        #expect(resolveError(flags) == "--cert-dir: empty path")
        flags = minimalFlags
        flags.certificates = ["a.pem"]
        flags.keys = [""]
        #expect(resolveError(flags) == "--key: empty path")
    }

    @Test("bad file values name the file and the key")
    func badFileValues() throws {
        let cases: [(String, String)] = [
            ("listen: nope", "key 'listen': 'nope' is not HOST:PORT"),
            ("listen: 8443", "key 'listen': '8443' is not HOST:PORT"),
            ("workers: true", "key 'workers': 'true' is not a number of workers (1-256 or auto)"),
            ("min-tls: 1.1", "key 'min-tls': '1.1' is not a supported TLS version (1.2 or 1.3)"),
            ("connect-timeout: 0", "key 'connect-timeout': '0' is not a usable timeout; it must be greater than 0"),
            ("handshake-timeout: 10x", "key 'handshake-timeout': '10x' has an unknown unit 'x' (use ms, s, m, h or d)"),
            ("log-format: on", "key 'log-format': 'on' is not a log format (text or json)"),
        ]
        for (yaml, message) in cases {
            let file = try file(yaml)
            #expect(resolveError(minimalFlags, file: file) == "/etc/certgate/proxy.yaml: \(message)")
        }
    }

    @Test("the admin shorthand and port 0 work from the file too")
    func adminFromFile() throws {
        let configuration = try resolver.resolve(minimalFlags, file: try file("admin: 9100\nlisten: 127.0.0.1:0"))
        #expect(configuration.admin == SocketEndpoint(host: "127.0.0.1", port: 9100))
        #expect(configuration.listen == SocketEndpoint(host: "0.0.0.0", port: 8443))
    }

    @Test("listening on the upstream address or putting admin on the TLS port is rejected")
    func loops() {
        var flags = minimalFlags
        flags.upstream = "0.0.0.0:8443"
        #expect(
            resolveError(flags) == "--upstream: '0.0.0.0:8443' is the listen address; certgate would proxy to itself"
        )
        flags = minimalFlags
        flags.admin = "0.0.0.0:8443"
        #expect(resolveError(flags) == "--admin: '0.0.0.0:8443' is already the listen address")
        flags = minimalFlags
        flags.listen = "127.0.0.1:0"
        flags.admin = "0"
        #expect(resolveError(flags) == nil)
    }

    @Test("resolve(_:) loads --config relative to the working directory")
    func loadsConfigFile() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-resolver-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "listen: 0.0.0.0:443\nupstream: 10.0.0.1:80\ncert-dir: certs\n"
            .write(toFile: directory + "/etc/proxy.yaml", atomically: true, encoding: .utf8)

        let resolver = ConfigurationResolver(currentDirectory: directory, processorCount: 2)
        let configuration = try resolver.resolve(ConfigurationFlags(configFile: "etc/proxy.yaml", workers: "1"))
        #expect(configuration.certificateDirectories == [directory + "/etc/certs"])
        #expect(configuration.workers == 1)

        let missing = try #require(throws: ConfigurationError.self) {
            try resolver.resolve(ConfigurationFlags(configFile: "etc/other.yaml"))
        }
        #expect(missing.description == "etc/other.yaml: cannot read config file: no such file")
    }

    @Test("a rendered configuration resolves back to itself")
    func renderRoundTrip() throws {
        let configurations = [
            try resolver.resolve(minimalFlags, file: nil),
            ProxyConfiguration(
                listen: SocketEndpoint(host: "::1", port: 0),
                upstream: SocketEndpoint(host: "app.internal", port: 8080),
                certificateDirectories: ["/etc/certs", "/opt/with space/\"quoted\""],
                certificatePairs: [CertificatePair(certificatePath: "/a b/c.pem", keyPath: "/tab\there.key")],
                defaultCertificate: "on",
                workers: 17,
                admin: SocketEndpoint(host: "127.0.0.1", port: 9100),
                logFormat: .json,
                logLevel: .trace,
                minimumTLSVersion: .v1_3,
                ciphers: "ECDHE+AESGCM:!aNULL:#x",
                ciphersuites: "TLS_AES_256_GCM_SHA384",
                connectTimeout: .milliseconds(1_500),
                handshakeTimeout: .seconds(3_600)
            ),
        ]
        for configuration in configurations {
            let yaml = configuration.renderedAsConfigurationFile()
            let file = try ConfigurationFile.parse(yaml: yaml, path: "rendered.yaml", baseDirectory: "/elsewhere")
            #expect(try resolver.resolve(ConfigurationFlags(), file: file) == configuration, "\(yaml)")
        }
    }
}
