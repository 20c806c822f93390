import Testing

@testable import CertgateConfig

/// `--admin-token-file`, `--drain-timeout`, `--expiry-warning`, and the bare-port `--admin` shorthand.
@Suite("Admin token, drain timeout, expiry warning")
struct AdminAndShutdownSettingsTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)

    var minimalFlags: ConfigurationFlags {
        ConfigurationFlags(listen: "0.0.0.0:8443", upstream: "127.0.0.1:8080", certificateDirectories: ["certs"])
    }

    func file(_ yaml: String) throws -> ConfigurationFile {
        try ConfigurationFile.parse(yaml: yaml, path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
    }

    func resolveError(_ flags: ConfigurationFlags, file: ConfigurationFile? = nil) -> String? {
        do {
            _ = try resolver.resolve(flags, file: file)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: --admin-token-file

    @Test("--admin-token-file is resolved against the working directory, the key against the file's directory")
    func tokenFilePaths() throws {
        var flags = minimalFlags
        flags.admin = "9100"
        flags.adminTokenFile = "secrets/admin.token"
        #expect(try resolver.resolve(flags, file: nil).adminTokenFile == "/srv/work/secrets/admin.token")
        flags.adminTokenFile = "/run/secrets/token"
        #expect(try resolver.resolve(flags, file: nil).adminTokenFile == "/run/secrets/token")

        let fromFile = try resolver.resolve(minimalFlags, file: try file("admin: 9100\nadmin-token-file: token\n"))
        #expect(fromFile.adminTokenFile == "/etc/certgate/token")

        // The flag wins over the key, and the key's admin: satisfies the flag's need for an admin listener.
        flags = minimalFlags
        flags.adminTokenFile = "other.token"
        let both = try resolver.resolve(flags, file: try file("admin: 9100\nadmin-token-file: token\n"))
        #expect(both.adminTokenFile == "/srv/work/other.token")
    }

    @Test("--admin-token-file needs --admin")
    func tokenFileNeedsAdmin() throws {
        var flags = minimalFlags
        flags.adminTokenFile = "token"
        #expect(resolveError(flags) == "--admin-token-file: needs --admin")
        #expect(
            resolveError(minimalFlags, file: try file("admin-token-file: token\n"))
                == "/etc/certgate/proxy.yaml: key 'admin-token-file': needs 'admin:' (or --admin)"
        )
        // --admin from the command line with the key from the file is fine.
        flags = minimalFlags
        flags.admin = "9100"
        #expect(resolveError(flags, file: try file("admin-token-file: token\n")) == nil)
    }

    @Test("bad token file paths name the flag or the key")
    func badTokenFilePaths() throws {
        var flags = minimalFlags
        flags.admin = "9100"
        flags.adminTokenFile = ""
        #expect(resolveError(flags) == "--admin-token-file: empty path")
        flags.adminTokenFile = "a\0b"
        #expect(resolveError(flags) == "--admin-token-file: path contains a NUL byte")
        #expect(
            throws: ConfigurationError(
                .fileKey(file: "/etc/certgate/proxy.yaml", key: "admin-token-file"), "expected a path, found a list")
        ) {
            try file("admin-token-file: [a, b]\n")
        }
    }

    @Test("the token file is not opened while resolving (validation stays offline)")
    func tokenFileNotRead() throws {
        var flags = minimalFlags
        flags.admin = "9100"
        flags.adminTokenFile = "/nonexistent/certgate/token"
        #expect(try resolver.resolve(flags, file: nil).adminTokenFile == "/nonexistent/certgate/token")
    }

    // MARK: --drain-timeout

    @Test(
        "drain-timeout takes 0 to 1h",
        arguments: [
            ("0", Duration.zero), ("0s", .zero), ("0ms", .zero), ("1ms", .milliseconds(1)), ("30s", .seconds(30)),
            ("1h", .seconds(3_600)), ("60m", .seconds(3_600)), ("3600000ms", .seconds(3_600)),
        ]
    )
    func drainTimeoutValues(text: String, expected: Duration) throws {
        var flags = minimalFlags
        flags.drainTimeout = text
        #expect(try resolver.resolve(flags, file: nil).drainTimeout == expected)
    }

    @Test(
        "bad drain-timeout values name the flag",
        arguments: [
            ("3601s", "--drain-timeout: '3601s' is out of range; the drain timeout must be between 0 and 1h"),
            ("2h", "--drain-timeout: '2h' is out of range; the drain timeout must be between 0 and 1h"),
            ("1d", "--drain-timeout: '1d' is out of range; the drain timeout must be between 0 and 1h"),
            ("-1s", "--drain-timeout: '-1s' is negative; durations must be 0 or more"),
            ("30", "--drain-timeout: '30' has no unit (did you mean 30s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            (
                "1.5 s",
                "--drain-timeout: '1.5 s' is not a duration; write 1.5s (lower-case units, no spaces; "
                    + "e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"
            ),
            ("off", "--drain-timeout: 'off' is not a duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            ("", "--drain-timeout: empty duration (e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
        ]
    )
    func badDrainTimeouts(text: String, message: String) {
        var flags = minimalFlags
        flags.drainTimeout = text
        #expect(resolveError(flags) == message)
    }

    // MARK: --expiry-warning

    @Test(
        "expiry-warning takes 0 to 365d, in days too",
        arguments: [
            ("0", Duration.zero), ("0d", .zero), ("14d", .seconds(14 * 86_400)), ("1d", .seconds(86_400)),
            ("12h", .seconds(43_200)), ("365d", .seconds(365 * 86_400)), ("8760h", .seconds(365 * 86_400)),
        ]
    )
    func expiryWarningValues(text: String, expected: Duration) throws {
        var flags = minimalFlags
        flags.expiryWarning = text
        #expect(try resolver.resolve(flags, file: nil).expiryWarning == expected)
    }

    @Test(
        "bad expiry-warning values name the flag",
        arguments: [
            ("366d", "--expiry-warning: '366d' is out of range; the expiry warning must be between 0 and 365d"),
            ("8761h", "--expiry-warning: '8761h' is out of range; the expiry warning must be between 0 and 365d"),
            ("-1d", "--expiry-warning: '-1d' is negative; durations must be 0 or more"),
            ("14", "--expiry-warning: '14' has no unit (did you mean 14s? e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)"),
            ("2w", "--expiry-warning: '2w' has an unknown unit 'w' (use ms, s, m, h or d)"),
        ]
    )
    func badExpiryWarnings(text: String, message: String) {
        var flags = minimalFlags
        flags.expiryWarning = text
        #expect(resolveError(flags) == message)
    }

    // MARK: The file

    @Test("the file's drain-timeout and expiry-warning are read; a bare integer is seconds")
    func timingFromFile() throws {
        let yaml = "drain-timeout: 45\nexpiry-warning: 30d\n"
        let configuration = try resolver.resolve(minimalFlags, file: try file(yaml))
        #expect(configuration.drainTimeout == .seconds(45))
        #expect(configuration.expiryWarning == .seconds(30 * 86_400))
        let zero = try resolver.resolve(minimalFlags, file: try file("drain-timeout: 0\nexpiry-warning: 0\n"))
        #expect(zero.drainTimeout == .zero)
        #expect(zero.expiryWarning == .zero)
    }

    @Test("flags win over the file; a bad file value is reported even when a flag overrides it")
    func timingFlagsBeatFile() throws {
        var flags = minimalFlags
        flags.drainTimeout = "5s"
        flags.expiryWarning = "7d"
        let configuration = try resolver.resolve(flags, file: try file("drain-timeout: 1m\nexpiry-warning: 30d\n"))
        #expect(configuration.drainTimeout == .seconds(5))
        #expect(configuration.expiryWarning == .seconds(7 * 86_400))
        #expect(
            resolveError(flags, file: try file("drain-timeout: 2h\n"))
                == "/etc/certgate/proxy.yaml: key 'drain-timeout': '2h' is out of range; "
                + "the drain timeout must be between 0 and 1h"
        )
        #expect(
            resolveError(flags, file: try file("expiry-warning: 1y\n"))
                == "/etc/certgate/proxy.yaml: key 'expiry-warning': '1y' has an unknown unit 'y' (use ms, s, m, h or d)"
        )
    }

    @Test("misspelt new keys get a suggestion")
    func suggestions() {
        #expect(Settings.suggestion(for: "drain-timout") == "drain-timeout")
        #expect(Settings.suggestion(for: "admin-token") == "admin-token-file")
        #expect(Settings.suggestion(for: "expiry-warn") == "expiry-warning")
        #expect(Settings.adminTokenFile.info.flag == "--admin-token-file")
    }

    @Test("the new settings are rendered, the token file only when set")
    func rendering() throws {
        let plain = try resolver.resolve(minimalFlags, file: nil).renderedAsConfigurationFile()
        #expect(plain.contains("\nexpiry-warning: 14d\n"))
        #expect(plain.contains("\ndrain-timeout: 30s\n"))
        #expect(!plain.contains("admin-token-file"))
        var flags = minimalFlags
        flags.admin = "9100"
        flags.adminTokenFile = "/run/token"
        flags.drainTimeout = "0"
        let withToken = try resolver.resolve(flags, file: nil).renderedAsConfigurationFile()
        #expect(withToken.contains("\nadmin: \"127.0.0.1:9100\"\nadmin-token-file: \"/run/token\"\n"))
        #expect(withToken.contains("\ndrain-timeout: 0\n"))
    }

    // MARK: --admin PORT

    @Test("--admin with a bare PORT (or :PORT) is loopback, from a flag or the file", arguments: ["9090", ":9090"])
    func adminBarePort(text: String) throws {
        var flags = minimalFlags
        flags.admin = text
        #expect(try resolver.resolve(flags, file: nil).admin == SocketEndpoint(host: "127.0.0.1", port: 9090))
        let fromFile = try resolver.resolve(minimalFlags, file: try file("admin: \"\(text)\"\n"))
        #expect(fromFile.admin == SocketEndpoint(host: "127.0.0.1", port: 9090))
    }

    @Test("a bare PORT stays an error for --listen and --upstream")
    func barePortElsewhere() {
        var flags = minimalFlags
        flags.listen = "8443"
        #expect(resolveError(flags) == "--listen: '8443' is not HOST:PORT")
        flags = minimalFlags
        flags.upstream = "8080"
        #expect(resolveError(flags) == "--upstream: '8080' is not HOST:PORT")
        flags = minimalFlags
        flags.admin = "70000"
        #expect(resolveError(flags) == "--admin: port 70000 out of range (0-65535)")
    }
}
