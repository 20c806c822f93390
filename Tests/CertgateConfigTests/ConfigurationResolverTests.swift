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
        #expect(configuration.watchMode == .auto)
        #expect(configuration.statInterval == .seconds(1))
        #expect(configuration.reloadInterval == nil)
        #expect(configuration.allowExpired == false)
        #expect(configuration.adminTokenFile == nil)
        #expect(configuration.drainTimeout == .seconds(30))
        #expect(configuration.expiryWarning == .seconds(14 * 86_400))
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
            watch: "stat",
            statInterval: "250ms",
            reloadInterval: "10m",
            allowExpired: true,
            expiryWarning: "30d",
            workers: "3",
            admin: ":9100",
            adminTokenFile: "secrets/token",
            logFormat: "json",
            logLevel: "warn",
            minimumTLSVersion: "1.3",
            ciphers: "HIGH:!aNULL",
            ciphersuites: "TLS_AES_128_GCM_SHA256",
            connectTimeout: "250ms",
            handshakeTimeout: "1m",
            drainTimeout: "0s"
        )
        let expected = ProxyConfiguration(
            listen: SocketEndpoint(host: "::", port: 443),
            upstream: SocketEndpoint(host: "backend", port: 80),
            certificatePairs: [
                CertificatePair(certificatePath: "/srv/work/a.pem", keyPath: "/srv/work/keys/a.key"),
                CertificatePair(certificatePath: "/abs/b.pem", keyPath: "/abs/b.key"),
            ],
            defaultCertificate: "example.org",
            watchMode: .stat,
            statInterval: .milliseconds(250),
            reloadInterval: .seconds(600),
            allowExpired: true,
            expiryWarning: .seconds(30 * 86_400),
            workers: 3,
            admin: SocketEndpoint(host: "127.0.0.1", port: 9100),
            adminTokenFile: "/srv/work/secrets/token",
            logFormat: .json,
            logLevel: .warning,
            minimumTLSVersion: .v1_3,
            ciphers: "HIGH:!aNULL",
            ciphersuites: "TLS_AES_128_GCM_SHA256",
            connectTimeout: .milliseconds(250),
            handshakeTimeout: .seconds(60),
            drainTimeout: .zero
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
                "missing --listen (or CERTGATE_LISTEN, or 'listen:' in the config file)"
            ),
            (
                ConfigurationFlags(listen: "a:1", certificateDirectories: ["c"]),
                "missing --upstream (or CERTGATE_UPSTREAM, or 'upstream:' in the config file)"
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
            (
                \.connectTimeout, "5",
                "--connect-timeout: '5' has no unit (did you mean 5s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            (\.connectTimeout, "0", "--connect-timeout: '0' is not a usable timeout; it must be greater than 0"),
            (\.handshakeTimeout, "-1s", "--handshake-timeout: '-1s' is negative; durations must be 0 or more"),
            (\.ciphers, " ", "--ciphers: empty cipher list"),
            (\.ciphersuites, "", "--ciphersuites: empty ciphersuite list"),
            (\.defaultCertificate, "", "--default-cert: empty certificate name"),
            (\.configFile, "", "--config: empty path"),
            (\.watch, "poll", "--watch: 'poll' is not a watch mode (auto, inotify, stat or off)"),
            (\.watch, "", "--watch: '' is not a watch mode (auto, inotify, stat or off)"),
            (
                \.statInterval, "49ms",
                "--stat-interval: '49ms' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                \.statInterval, "0",
                "--stat-interval: '0' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                \.statInterval, "3601s",
                "--stat-interval: '3601s' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                \.statInterval, "2h",
                "--stat-interval: '2h' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                \.statInterval, "1.0005s",
                "--stat-interval: '1.0005s' is finer than a millisecond (e.g. 1.5s or 1500ms)"
            ),
            (\.statInterval, "fast", "--stat-interval: 'fast' is not a duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            (
                \.statInterval, "5",
                "--stat-interval: '5' has no unit (did you mean 5s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            (\.statInterval, "", "--stat-interval: empty duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            (
                \.reloadInterval, "999ms",
                "--reload-interval: '999ms' is too short; the reload interval must be at least 1s (or off)"
            ),
            (
                \.reloadInterval, "1ms",
                "--reload-interval: '1ms' is too short; the reload interval must be at least 1s (or off)"
            ),
            (
                \.reloadInterval, "never",
                "--reload-interval: 'never' is not a duration or off (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            (\.reloadInterval, "-5m", "--reload-interval: '-5m' is negative; durations must be 0 or more"),
            (
                \.reloadInterval, "5",
                "--reload-interval: '5' has no unit (did you mean 5s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            (\.reloadInterval, "", "--reload-interval: empty duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
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
            ("watch: poll", "key 'watch': 'poll' is not a watch mode (auto, inotify, stat or off)"),
            ("watch: false", "key 'watch': 'false' is not a watch mode (auto, inotify, stat or off)"),
            (
                "stat-interval: 0",
                "key 'stat-interval': '0' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                "stat-interval: 10ms",
                "key 'stat-interval': '10ms' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                "stat-interval: 3601",
                "key 'stat-interval': '3601s' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                "stat-interval: soon",
                "key 'stat-interval': 'soon' is not a duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            (
                "reload-interval: 500ms",
                "key 'reload-interval': '500ms' is too short; the reload interval must be at least 1s (or off)"
            ),
            (
                "reload-interval: false",
                "key 'reload-interval': 'false' is not a duration or off (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            ("allow-expired: yes", "key 'allow-expired': 'yes' is not true or false"),
            ("allow-expired: 1", "key 'allow-expired': '1' is not true or false"),
            ("allow-expired: \"maybe\"", "key 'allow-expired': 'maybe' is not true or false"),
        ]
        for (yaml, message) in cases {
            let file = try file(yaml)
            #expect(resolveError(minimalFlags, file: file) == "/etc/certgate/proxy.yaml: \(message)")
        }
    }

    @Test("every reloading key is read from the file")
    func reloadingFromFile() throws {
        let file = try file("watch: INOTIFY\nstat-interval: 50ms\nreload-interval: 1h\nallow-expired: true\n")
        let configuration = try resolver.resolve(minimalFlags, file: file)
        #expect(configuration.watchMode == .inotify)
        #expect(configuration.statInterval == .milliseconds(50))
        #expect(configuration.reloadInterval == .seconds(3_600))
        #expect(configuration.allowExpired == true)
    }

    @Test("watch: off in YAML is the mode, not a boolean", arguments: ["off", "Off", "\"off\""])
    func watchOffInYAML(yaml: String) throws {
        let configuration = try resolver.resolve(minimalFlags, file: try file("watch: \(yaml)\n"))
        #expect(configuration.watchMode == .off)
    }

    @Test("every watch mode is accepted, in any case", arguments: WatchMode.allCases)
    func watchModes(mode: WatchMode) throws {
        var flags = minimalFlags
        flags.watch = mode.rawValue.uppercased()
        #expect(try resolver.resolve(flags, file: nil).watchMode == mode)
    }

    @Test(
        "stat-interval accepts both ends of 50ms...1h",
        arguments: [
            ("50ms", Duration.milliseconds(50)), ("1s", .seconds(1)), ("3600s", .seconds(3_600)),
            ("1h", .seconds(3_600)), ("60m", .seconds(3_600)),
        ]
    )
    func statIntervalBounds(text: String, expected: Duration) throws {
        var flags = minimalFlags
        flags.statInterval = text
        #expect(try resolver.resolve(flags, file: nil).statInterval == expected)
    }

    @Test(
        "reload-interval: off, 0 and 0s turn it off; 1s is the shortest period",
        arguments: [
            ("off", nil), ("OFF", nil), ("0", nil), ("0s", nil), ("0ms", nil), ("1s", .seconds(1)),
            ("1000ms", .seconds(1)), ("6h", .seconds(21_600)),
        ] as [(String, Duration?)]
    )
    func reloadIntervalValues(text: String, expected: Duration?) throws {
        var flags = minimalFlags
        flags.reloadInterval = text
        #expect(try resolver.resolve(flags, file: nil).reloadInterval == expected)
    }

    @Test(
        "reload-interval in YAML: off, a bare 0 and 0s are off; a bare integer is seconds",
        arguments: [
            ("off", nil), ("0", nil), ("0s", nil), ("\"off\"", nil), ("~", nil), ("30", .seconds(30)),
            ("5m", .seconds(300)),
        ] as [(String, Duration?)]
    )
    func reloadIntervalInYAML(yaml: String, expected: Duration?) throws {
        let configuration = try resolver.resolve(minimalFlags, file: try file("reload-interval: \(yaml)\n"))
        #expect(configuration.reloadInterval == expected)
    }

    @Test(
        "allow-expired in YAML takes true or false in any case",
        arguments: [
            ("true", true), ("false", false), ("True", true), ("FALSE", false), ("\"true\"", true), ("~", false),
        ]
    )
    func allowExpiredInYAML(yaml: String, expected: Bool) throws {
        let configuration = try resolver.resolve(minimalFlags, file: try file("allow-expired: \(yaml)\n"))
        #expect(configuration.allowExpired == expected)
    }

    @Test("reloading flags win over the file; absent flags leave the file's values")
    func reloadingFlagsBeatFile() throws {
        let file = try file("watch: stat\nstat-interval: 5s\nreload-interval: 5m\nallow-expired: false\n")

        let fileOnly = try resolver.resolve(minimalFlags, file: file)
        #expect(fileOnly.watchMode == .stat)
        #expect(fileOnly.statInterval == .seconds(5))
        #expect(fileOnly.reloadInterval == .seconds(300))
        #expect(fileOnly.allowExpired == false)

        var flags = minimalFlags
        flags.watch = "off"
        flags.statInterval = "200ms"
        flags.reloadInterval = "off"
        flags.allowExpired = true
        let overridden = try resolver.resolve(flags, file: file)
        #expect(overridden.watchMode == .off)
        #expect(overridden.statInterval == .milliseconds(200))
        #expect(overridden.reloadInterval == nil)
        #expect(overridden.allowExpired == true)

        flags.reloadInterval = "1m"
        let periodFromFlag = try resolver.resolve(flags, file: try self.file("reload-interval: off\n"))
        #expect(periodFromFlag.reloadInterval == .seconds(60))
        flags.allowExpired = nil
        #expect(try resolver.resolve(flags, file: try self.file("allow-expired: true\n")).allowExpired == true)
    }

    @Test("a bad reloading value in the file is reported even when a flag overrides it")
    func overriddenReloadingFileValues() throws {
        var flags = minimalFlags
        flags.watch = "auto"
        flags.statInterval = "1s"
        flags.reloadInterval = "off"
        flags.allowExpired = true
        let cases: [(String, String)] = [
            ("watch: sometimes", "key 'watch': 'sometimes' is not a watch mode (auto, inotify, stat or off)"),
            (
                "stat-interval: 2h",
                "key 'stat-interval': '2h' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                "reload-interval: 10ms",
                "key 'reload-interval': '10ms' is too short; the reload interval must be at least 1s (or off)"
            ),
            ("allow-expired: maybe", "key 'allow-expired': 'maybe' is not true or false"),
        ]
        for (yaml, message) in cases {
            #expect(resolveError(flags, file: try file(yaml)) == "/etc/certgate/proxy.yaml: \(message)")
        }
    }

    @Test("the defaults are rendered, with reload-interval as off")
    func renderReloadingDefaults() throws {
        let yaml = try resolver.resolve(minimalFlags, file: nil).renderedAsConfigurationFile()
        #expect(yaml.contains("\nwatch: auto\nstat-interval: 1s\nreload-interval: off\nallow-expired: false\n"))
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
                listen: SocketEndpoint(host: "0.0.0.0", port: 443),
                upstream: SocketEndpoint(host: "127.0.0.1", port: 80),
                certificateDirectories: ["/c"],
                watchMode: .stat,
                statInterval: .seconds(3_600),
                reloadInterval: .seconds(1)
            ),
            ProxyConfiguration(
                listen: SocketEndpoint(host: "0.0.0.0", port: 443),
                upstream: SocketEndpoint(host: "127.0.0.1", port: 80),
                certificateDirectories: ["/c"],
                watchMode: .inotify,
                statInterval: .milliseconds(1_500),
                reloadInterval: .milliseconds(90_000)
            ),
            ProxyConfiguration(
                listen: SocketEndpoint(host: "::1", port: 0),
                upstream: SocketEndpoint(host: "app.internal", port: 8080),
                certificateDirectories: ["/etc/certs", "/opt/with space/\"quoted\""],
                certificatePairs: [CertificatePair(certificatePath: "/a b/c.pem", keyPath: "/tab\there.key")],
                defaultCertificate: "on",
                watchMode: .off,
                statInterval: .milliseconds(50),
                reloadInterval: .seconds(3_600),
                allowExpired: true,
                expiryWarning: .zero,
                workers: 17,
                admin: SocketEndpoint(host: "127.0.0.1", port: 9100),
                adminTokenFile: "/run/secrets/admin token",
                logFormat: .json,
                logLevel: .trace,
                minimumTLSVersion: .v1_3,
                ciphers: "ECDHE+AESGCM:!aNULL:#x",
                ciphersuites: "TLS_AES_256_GCM_SHA384",
                connectTimeout: .milliseconds(1_500),
                handshakeTimeout: .seconds(300),
                drainTimeout: .seconds(3_600)
            ),
            ProxyConfiguration(
                listen: SocketEndpoint(host: "0.0.0.0", port: 443),
                upstream: SocketEndpoint(host: "127.0.0.1", port: 80),
                certificateDirectories: ["/c"],
                expiryWarning: .seconds(365 * 86_400),
                drainTimeout: .milliseconds(1_500)
            ),
        ]
        for configuration in configurations {
            let yaml = configuration.renderedAsConfigurationFile()
            let file = try ConfigurationFile.parse(yaml: yaml, path: "rendered.yaml", baseDirectory: "/elsewhere")
            #expect(try resolver.resolve(ConfigurationFlags(), file: file) == configuration, "\(yaml)")
        }
    }
}
