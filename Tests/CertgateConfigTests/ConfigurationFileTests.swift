import Foundation
import Testing

@testable import CertgateConfig

/// Parses `yaml` as if it were `/etc/certgate/proxy.yaml`.
private func parse(_ yaml: String) throws(ConfigurationError) -> ConfigurationFile {
    try ConfigurationFile.parse(yaml: yaml, path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
}

/// The one-line description of the error that parsing `yaml` throws, or `nil` if it parses.
private func parseError(_ yaml: String) -> String? {
    do {
        _ = try parse(yaml)
        return nil
    } catch {
        return error.description
    }
}

@Suite("Config file (YAML)")
struct ConfigurationFileTests {
    @Test("every key is read")
    func everyKey() throws {
        let file = try parse(
            """
            listen: "0.0.0.0:8443"
            upstream: 127.0.0.1:8080
            cert-dir: [certs, /var/lib/certgate/certs]
            certs:
              - cert: site/a.pem
                key: site/a.key
              - { cert: /abs/b.pem, key: /abs/b.key }
            default-cert: example.com
            watch: off
            stat-interval: 2
            reload-interval: 10m
            allow-expired: true
            expiry-warning: 30d
            workers: 4
            admin: 9100
            admin-token-file: secrets/admin.token
            log-format: json
            log-level: debug
            min-tls: 1.3
            ciphers: "ECDHE+AESGCM:!aNULL"
            ciphersuites: TLS_AES_256_GCM_SHA384
            connect-timeout: 1500ms
            handshake-timeout: 3
            drain-timeout: 0
            """
        )
        var expected = ConfigurationFile(path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
        func set(_ key: String, _ items: String..., list: Bool = false) {
            expected.values[key] = .init(items: items, isSequence: list)
        }
        set("listen", "0.0.0.0:8443")
        set("upstream", "127.0.0.1:8080")
        set("cert-dir", "certs", "/var/lib/certgate/certs", list: true)
        expected.certificatePairs = [
            CertificatePair(certificatePath: "/etc/certgate/site/a.pem", keyPath: "/etc/certgate/site/a.key"),
            CertificatePair(certificatePath: "/abs/b.pem", keyPath: "/abs/b.key"),
        ]
        set("default-cert", "example.com")
        set("watch", "off")
        set("stat-interval", "2s")
        set("reload-interval", "10m")
        set("allow-expired", "true")
        set("workers", "4")
        set("expiry-warning", "30d")
        set("admin", "9100")
        set("admin-token-file", "secrets/admin.token")
        set("log-format", "json")
        set("log-level", "debug")
        set("min-tls", "1.3")
        set("ciphers", "ECDHE+AESGCM:!aNULL")
        set("ciphersuites", "TLS_AES_256_GCM_SHA384")
        set("connect-timeout", "1500ms")
        set("handshake-timeout", "3s")
        set("drain-timeout", "0")
        #expect(file.adminTokenFile == "/etc/certgate/secrets/admin.token")
        #expect(file.certificateDirectories == ["/etc/certgate/certs", "/var/lib/certgate/certs"])
        #expect(file == expected)
    }

    @Test(
        "empty, comment-only and null documents are valid with every key absent",
        arguments: ["", "# nothing\n", "~", "---\n"]
    )
    func emptyDocuments(yaml: String) throws {
        #expect(try parse(yaml) == ConfigurationFile(path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate"))
    }

    @Test("a key with an empty value counts as absent")
    func nullValues() throws {
        let file = try parse("listen:\nadmin: ~\nworkers: 2\n")
        #expect(file.listen == nil)
        #expect(file.admin == nil)
        #expect(file.workers == "2")
    }

    @Test("cert-dir may be a single string")
    func certDirString() throws {
        #expect(try parse("cert-dir: ./certs").certificateDirectories == ["/etc/certgate/certs"])
        #expect(try parse("cert-dir: []").certificateDirectories == [])
    }

    @Test("relative paths resolve against the config file's directory, '..' is kept")
    func relativePaths() throws {
        let file = try parse("cert-dir: [../shared/certs, a//b/./c]\ncerts: [{cert: x.pem, key: /k/x.key}]")
        #expect(file.certificateDirectories == ["/etc/certgate/../shared/certs", "/etc/certgate/a/b/c"])
        #expect(file.certificatePairs == [CertificatePair(certificatePath: "/etc/certgate/x.pem", keyPath: "/k/x.key")])
    }

    @Test("a bare YAML number means seconds; strings are kept for the resolver to check")
    func durations() throws {
        #expect(try parse("connect-timeout: 5").connectTimeout == "5s")
        #expect(try parse("connect-timeout: 0").connectTimeout == "0")
        #expect(try parse("connect-timeout: '5'").connectTimeout == "5")
        #expect(try parse("handshake-timeout: 2m").handshakeTimeout == "2m")
        #expect(try parse("handshake-timeout: 1m30s").handshakeTimeout == "1m30s")
        #expect(try parse("stat-interval: 1").statInterval == "1s")
        #expect(try parse("stat-interval: 0.5").statInterval == "0.5s")
        #expect(try parse("stat-interval: 250ms").statInterval == "250ms")
        #expect(try parse("reload-interval: 0").reloadInterval == "0")
        #expect(try parse("reload-interval: 3600").reloadInterval == "3600s")
        #expect(try parse("reload-interval: off").reloadInterval == "off")
        #expect(
            parseError("stat-interval: 1.5e+3")
                == "/etc/certgate/proxy.yaml: key 'stat-interval': '1.5e+3' is not a number of seconds; "
                + "write a duration such as 1.5s or 1500ms"
        )
        #expect(
            parseError("stat-interval: .inf")
                == "/etc/certgate/proxy.yaml: key 'stat-interval': '.inf' is not a number of seconds; "
                + "write a duration such as 1.5s or 1500ms"
        )
        #expect(
            parseError("handshake-timeout: -1.5")
                == "/etc/certgate/proxy.yaml: key 'handshake-timeout': '-1.5' is negative; durations must be 0 or more"
        )
        #expect(
            parseError("reload-interval: -1")
                == "/etc/certgate/proxy.yaml: key 'reload-interval': '-1' is negative; durations must be 0 or more"
        )
        #expect(
            parseError("connect-timeout: -5")
                == "/etc/certgate/proxy.yaml: key 'connect-timeout': '-5' is negative; durations must be 0 or more"
        )
    }

    @Test(
        "min-tls accepts the YAML number and the string",
        arguments: [("1.2", "1.2"), ("1.3", "1.3"), ("\"1.2\"", "1.2"), ("1.20", "1.2"), ("1.1", "1.1")]
    )
    func minimumTLS(yaml: String, expected: String) throws {
        #expect(try parse("min-tls: \(yaml)").minimumTLSVersion == expected)
    }

    @Test(
        "unknown keys name the file and suggest the closest key",
        arguments: [
            ("listne: x", "unknown key 'listne' (did you mean 'listen'?)"),
            ("Listen: x", "unknown key 'Listen' (did you mean 'listen'?)"),
            ("cert_dir: x", "unknown key 'cert_dir' (did you mean 'cert-dir'?)"),
            ("certDir: x", "unknown key 'certDir' (did you mean 'cert-dir'?)"),
            ("handshake_timeout: 5s", "unknown key 'handshake_timeout' (did you mean 'handshake-timeout'?)"),
            ("cert: a.pem", "unknown key 'cert' (did you mean 'certs'?)"),
            ("frobnicate: 1", "unknown key 'frobnicate'"),
            ("wacth: auto", "unknown key 'wacth' (did you mean 'watch'?)"),
            ("stat_interval: 1s", "unknown key 'stat_interval' (did you mean 'stat-interval'?)"),
            ("reload-intervall: 1h", "unknown key 'reload-intervall' (did you mean 'reload-interval'?)"),
            ("allowExpired: true", "unknown key 'allowExpired' (did you mean 'allow-expired'?)"),
            ("allow-expire: true", "unknown key 'allow-expire' (did you mean 'allow-expired'?)"),
        ]
    )
    func unknownKey(yaml: String, message: String) {
        #expect(parseError(yaml) == "/etc/certgate/proxy.yaml: \(message)")
    }

    @Test(
        "wrong types name the key",
        arguments: [
            ("listen: [a, b]", "key 'listen': expected HOST:PORT, found a list"),
            ("upstream: {host: a}", "key 'upstream': expected HOST:PORT, found a mapping"),
            ("workers: [1]", "key 'workers': expected a number or auto, found a list"),
            ("log-level: {a: 1}", "key 'log-level': expected a log level, found a mapping"),
            ("connect-timeout: [5s]", "key 'connect-timeout': expected a duration such as 5s, found a list"),
            ("cert-dir: {a: 1}", "key 'cert-dir': expected a path or a list of them, found a mapping"),
            ("cert-dir: [a, [b]]", "key 'cert-dir[1]': expected a path, found a list"),
            ("cert-dir: [a, ~]", "key 'cert-dir[1]': expected a path, found nothing"),
            ("certs: a.pem", "key 'certs': expected a list of entries with 'cert' and 'key', found text"),
            ("certs: [a.pem]", "key 'certs[0]': expected an entry with 'cert' and 'key', found text"),
            ("certs: [{cert: a.pem}]", "key 'certs[0]': missing 'key' (the private key file)"),
            ("certs: [{key: a.key}]", "key 'certs[0]': missing 'cert' (the certificate file)"),
            (
                "certs: [{cert: a, key: b}, {cert: a, kye: b}]",
                "key 'certs[1]': unknown key 'kye' (did you mean 'key'?)"
            ),
            ("certs: [{cert: [a], key: b}]", "key 'certs[0].cert': expected a path, found a list"),
            ("watch: [auto]", "key 'watch': expected auto, inotify, stat or off, found a list"),
            ("stat-interval: {a: 1}", "key 'stat-interval': expected a duration such as 5s, found a mapping"),
            ("reload-interval: [1h]", "key 'reload-interval': expected a duration such as 5s, found a list"),
            ("allow-expired: [true]", "key 'allow-expired': expected true or false, found a list"),
            ("allow-expired: {a: b}", "key 'allow-expired': expected true or false, found a mapping"),
        ]
    )
    func wrongTypes(yaml: String, message: String) {
        #expect(parseError(yaml) == "/etc/certgate/proxy.yaml: \(message)")
    }

    @Test("an empty path in a list is refused when resolved, naming the item")
    func emptyPathItem() throws {
        let file = try parse("listen: 0.0.0.0:1\nupstream: 127.0.0.1:2\ncert-dir: [a, '']\n")
        #expect(
            throws: ConfigurationError(.fileKey(file: "/etc/certgate/proxy.yaml", key: "cert-dir[1]"), "empty path")
        ) {
            try ConfigurationResolver(currentDirectory: "/", processorCount: 1).resolve(
                ConfigurationFlags(), file: file)
        }
    }

    @Test("scalars keep the text as written so the resolver can judge the value")
    func scalarsAsWritten() throws {
        let file = try parse(
            "listen: 8443\nworkers: true\ndefault-cert: 2024\nlog-format: on\nwatch: off\nallow-expired: yes"
        )
        #expect(file.listen == "8443")
        #expect(file.workers == "true")
        #expect(file.defaultCertificate == "2024")
        #expect(file.logFormat == "on")
        #expect(file.watch == "off")
        #expect(file.allowExpired == "yes")
    }

    @Test("the top level must be a mapping")
    func topLevelNotMapping() {
        #expect(
            parseError("- listen: x")
                == "/etc/certgate/proxy.yaml: line 1: expected 'key: value' settings at the top level, found a list"
        )
        #expect(
            parseError("just text")
                == "/etc/certgate/proxy.yaml: line 1: expected 'key: value' settings at the top level, found text"
        )
    }

    @Test("duplicate keys are an error with the line")
    func duplicateKeys() {
        #expect(
            parseError("listen: a:1\nworkers: 2\nlisten: b:2\n")
                == "/etc/certgate/proxy.yaml: line 1: duplicate key 'listen'"
        )
    }

    @Test("YAML syntax errors name the file and the line")
    func syntaxErrors() throws {
        let unclosed = "listen: 0.0.0.0:8443\nupstream: [127.0.0.1:80\nworkers: 2\n"
        let error = try #require(throws: ConfigurationError.self) { try parse(unclosed) }
        guard case .file("/etc/certgate/proxy.yaml", let line?) = error.origin else {
            Issue.record("expected a file origin with a line, got \(error.origin)")
            return
        }
        #expect((2...4).contains(line))
        #expect(error.description.hasPrefix("/etc/certgate/proxy.yaml: line \(line): invalid YAML: "))
        #expect(!error.description.contains("\n"))

        let badIndent = "listen: a:1\n  upstream: b:2\n"
        let indentError = try #require(throws: ConfigurationError.self) { try parse(badIndent) }
        #expect(indentError.origin == .file("/etc/certgate/proxy.yaml", line: 2))

        let tab = "listen: a:1\n\tupstream: b:2\n"
        let tabError = try #require(throws: ConfigurationError.self) { try parse(tab) }
        #expect(tabError.origin == .file("/etc/certgate/proxy.yaml", line: 2))
    }
}

@Suite("Config file on disk")
struct ConfigurationFileLoadingTests {
    /// A fresh directory for one test, removed afterwards.
    private static func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-config-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test("a relative --config path is found from the working directory; its paths resolve against its own directory")
    func relativeConfigPath() throws {
        try Self.withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/config", withIntermediateDirectories: true)
            try "cert-dir: certs\ncerts: [{cert: a.pem, key: ../keys/a.key}]\n"
                .write(toFile: directory + "/config/x.yaml", atomically: true, encoding: .utf8)
            let file = try ConfigurationFile.load(path: "config/x.yaml", currentDirectory: directory)
            #expect(file.path == "config/x.yaml")
            #expect(file.certificateDirectories == [directory + "/config/certs"])
            #expect(
                file.certificatePairs == [
                    CertificatePair(
                        certificatePath: directory + "/config/a.pem",
                        keyPath: directory + "/config/../keys/a.key"
                    )
                ]
            )
        }
    }

    @Test("errors from a loaded file use the path as the user gave it")
    func errorsUseGivenPath() throws {
        try Self.withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/config", withIntermediateDirectories: true)
            try "listne: 1.2.3.4:5\n".write(toFile: directory + "/config/x.yaml", atomically: true, encoding: .utf8)
            let expected = ConfigurationError(
                .file("config/x.yaml", line: nil), "unknown key 'listne' (did you mean 'listen'?)"
            )
            #expect(throws: expected) {
                try ConfigurationFile.load(path: "config/x.yaml", currentDirectory: directory)
            }
            let error = try #require(throws: ConfigurationError.self) {
                try ConfigurationFile.load(path: "config/x.yaml", currentDirectory: directory)
            }
            #expect(error.description == "config/x.yaml: unknown key 'listne' (did you mean 'listen'?)")
        }
    }

    @Test("a missing file, a directory and invalid UTF-8 are errors naming the file")
    func unreadable() throws {
        try Self.withTemporaryDirectory { directory in
            let missing = ConfigurationError(.file("missing.yaml", line: nil), "cannot read config file: no such file")
            #expect(throws: missing) {
                try ConfigurationFile.load(path: "missing.yaml", currentDirectory: directory)
            }
            let notAFile = ConfigurationError(.file(directory, line: nil), "cannot read config file: it is a directory")
            #expect(throws: notAFile) {
                try ConfigurationFile.load(path: directory, currentDirectory: "/")
            }
            let binary = directory + "/binary.yaml"
            try Data([0x6C, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
            #expect(throws: ConfigurationError(.file(binary, line: nil), "config file is not valid UTF-8")) {
                try ConfigurationFile.load(path: binary, currentDirectory: "/")
            }
        }
    }
}

@Suite("Config file syntax messages")
struct ConfigurationFileSyntaxMessageTests {
    @Test(
        "libyaml's problems are reported with the line where they were found",
        arguments: [
            (
                "listen: 0.0.0.0:8443\nupstream: [127.0.0.1:80\nworkers: 2\n",
                "line 3: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2)"
            ),
            (
                "listen: \"abc\n",
                "line 2: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 1)"
            ),
            ("listen: *nope\n", "line 1: invalid YAML: found undefined alias"),
            (
                "a: 1\n---\nb: 2\n",
                "line 2: invalid YAML: expected a single document in the stream, but found another document"
            ),
        ]
    )
    func messages(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.parse(yaml: yaml, path: "x.yaml", baseDirectory: "/")
        }
        #expect(error?.description == "x.yaml: \(message)")
    }
}

@Suite("config/example.yaml")
struct ExampleConfigurationTests {
    /// `config/example.yaml` in this checkout.
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/example.yaml").path

    @Test("the example resolves, and its commented-out reloading keys state the defaults")
    func commentedReloadingKeysAreDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let resolver = ConfigurationResolver(currentDirectory: "/", processorCount: 2)
        let example = try resolver.resolve(ConfigurationFlags(configFile: Self.examplePath))
        #expect(example.watchMode == ConfigurationDefaults.watchMode)

        let reloadingKeys = ["watch", "stat-interval", "reload-interval", "allow-expired"]
        var uncommented = text
        for key in reloadingKeys {
            let commented = "\n# \(key): "
            #expect(text.components(separatedBy: commented).count == 2, "one '# \(key):' line")
            uncommented = uncommented.replacingOccurrences(of: commented, with: "\n\(key): ")
        }
        let file = try ConfigurationFile.parse(yaml: uncommented, path: Self.examplePath, baseDirectory: "/")
        let configuration = try resolver.resolve(ConfigurationFlags(), file: file)
        #expect(configuration.watchMode == ConfigurationDefaults.watchMode)
        #expect(configuration.statInterval == ConfigurationDefaults.statInterval)
        #expect(configuration.reloadInterval == ConfigurationDefaults.reloadInterval)
        #expect(configuration.allowExpired == ConfigurationDefaults.allowExpired)
        #expect(file.watch != nil && file.statInterval != nil && file.reloadInterval != nil && file.allowExpired != nil)
    }

    @Test("the example's commented-out timing and socket keys state the defaults")
    func commentedTimingKeysAreDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        var uncommented = text
        for key in ["drain-timeout", "expiry-warning", "shutdown-delay", "idle-timeout", "tcp-keepalive"] {
            let commented = "\n# \(key): "
            #expect(text.components(separatedBy: commented).count == 2, "one '# \(key):' line")
            uncommented = uncommented.replacingOccurrences(of: commented, with: "\n\(key): ")
        }
        let resolver = ConfigurationResolver(currentDirectory: "/", processorCount: 2)
        let file = try ConfigurationFile.parse(yaml: uncommented, path: Self.examplePath, baseDirectory: "/")
        #expect(file.drainTimeout != nil && file.expiryWarning != nil)
        let configuration = try resolver.resolve(ConfigurationFlags(), file: file)
        #expect(configuration.drainTimeout == ConfigurationDefaults.drainTimeout)
        #expect(configuration.expiryWarning == ConfigurationDefaults.expiryWarning)
        #expect(configuration.shutdownDelay == ProxyConfiguration.defaults.shutdownDelay)
        #expect(configuration.idleTimeout == ProxyConfiguration.defaults.idleTimeout)
        #expect(configuration.tcpKeepalive == ProxyConfiguration.defaults.tcpKeepalive)
        #expect(file.values["shutdown-delay"] != nil && file.values["idle-timeout"] != nil)
    }

    @Test("the example documents admin-token-file, commented out, next to admin")
    func commentedTokenFile() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        #expect(text.components(separatedBy: "\n# admin-token-file: ").count == 2)
        let example = try ConfigurationResolver(currentDirectory: "/", processorCount: 2)
            .resolve(ConfigurationFlags(configFile: Self.examplePath))
        #expect(example.adminTokenFile == nil)
        let uncommented = text.replacingOccurrences(of: "\n# admin-token-file: ", with: "\nadmin-token-file: ")
        let file = try ConfigurationFile.parse(yaml: uncommented, path: Self.examplePath, baseDirectory: "/etc/x")
        #expect(file.adminTokenFile?.hasPrefix("/") == true)
    }
}
