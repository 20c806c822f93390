import Testing

@testable import CertgateConfig

@Suite("Errors, suggestions, paths and small settings")
struct SupportTests {
    @Test("error descriptions put the origin first and stay on one line")
    func errorDescriptions() {
        #expect(ConfigurationError(.flag("--upstream"), "bad").description == "--upstream: bad")
        #expect(
            ConfigurationError(.fileKey(file: "/x.yaml", key: "upstream"), "bad").description
                == "/x.yaml: key 'upstream': bad"
        )
        #expect(ConfigurationError(.file("x.yaml", line: 3), "bad").description == "x.yaml: line 3: bad")
        #expect(ConfigurationError(.file("x.yaml", line: nil), "bad").description == "x.yaml: bad")
        #expect(ConfigurationError(.none, "missing").description == "missing")
        #expect(ConfigurationError(.flag("--x"), "first\n  second\r\n\nthird").description == "--x: first second third")
    }

    @Test("edit distance counts a transposition as one edit")
    func editDistance() {
        #expect(Suggestion.editDistance("listne", "listen") == 1)
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("same", "same") == 0)
    }

    @Test("suggestions only for plausible typos")
    func suggestions() {
        #expect(Settings.suggestion(for: "upstrem") == "upstream")
        #expect(Settings.suggestion(for: "min_tls") == "min-tls")
        #expect(Settings.suggestion(for: "ciphersuite") == "ciphersuites")
        #expect(Settings.suggestion(for: "xyz") == nil)
        #expect(Settings.suggestion(for: "timeout") == nil)
        #expect(Settings.suggestion(for: "statinterval") == "stat-interval")
        #expect(Settings.suggestion(for: "reload_interval") == "reload-interval")
        #expect(Settings.suggestion(for: "allow_expired") == "allow-expired")
        #expect(Settings.suggestion(for: "wath") == "watch")
        #expect(Settings.suggestion(for: "interval") == nil)
    }

    @Test("every setting's flag is its key, its variable CERTGATE_ and the key; keys are unique")
    func keysMatchFlags() {
        for info in Settings.all.map(\.info) where info.key != "certs" && info.key != "per-certificate" {
            #expect(info.flags == ["--" + info.key])
            #expect(
                info.environmentVariable == "CERTGATE_" + info.key.uppercased().replacingOccurrences(of: "-", with: "_")
            )
        }
        #expect(Settings.certificatePairs.info.flags == ["--cert", "--key"])
        #expect(Settings.perCertificate.info.flags.isEmpty)
        let keys = Settings.all.map(\.info.key)
        #expect(Set(keys).count == keys.count)
        #expect(Settings.all.count == 52)
    }

    @Test("paths are made absolute lexically")
    func paths() {
        #expect(PathResolution.absolute("certs", relativeTo: "/srv") == "/srv/certs")
        #expect(PathResolution.absolute("./certs/", relativeTo: "/srv/") == "/srv/certs")
        #expect(PathResolution.absolute("/etc//certs/.", relativeTo: "/srv") == "/etc/certs")
        #expect(PathResolution.absolute("../certs", relativeTo: "/srv/app") == "/srv/app/../certs")
        #expect(PathResolution.directory(of: "/etc/certgate/proxy.yaml") == "/etc/certgate")
        #expect(PathResolution.directory(of: "/proxy.yaml") == "/")
    }

    func logLevel(_ text: String) throws -> LogLevel {
        var configuration = ProxyConfiguration.defaults
        let sources = SettingSources(
            commandLine: try CommandLineSettings(arguments: ["--log-level", text]), environment: EnvironmentSettings(),
            file: nil, context: SettingContext(baseDirectory: "/", processorCount: 1))
        _ = try Settings.logLevel.resolve(sources, into: &configuration)
        return configuration.logLevel
    }

    @Test("log levels are case-insensitive and accept warn")
    func logLevels() throws {
        #expect(try logLevel("WARN") == .warning)
        #expect(try logLevel("Notice") == .notice)
        for level in LogLevel.allCases {
            #expect(try logLevel(level.rawValue) == level)
        }
    }

    @Test("workers accepts 1 and 256 but not beyond")
    func workerBounds() throws {
        #expect(try ValueParser.workers("1", processorCount: 8, maximum: 256) == 1)
        #expect(try ValueParser.workers("256", processorCount: 8, maximum: 256) == 256)
        #expect(try ValueParser.workers("auto", processorCount: 8, maximum: 256) == 8)
        #expect(throws: ConfigurationValueError("99999999999999999999999 workers out of range (1-256 or auto)")) {
            try ValueParser.workers("99999999999999999999999", processorCount: 8, maximum: 256)
        }
    }

    @Test("the reloading keys and their flags")
    func reloadingKeys() {
        #expect(Settings.watch.info.flag == "--watch")
        #expect(Settings.statInterval.info.flag == "--stat-interval")
        #expect(Settings.reloadInterval.info.flag == "--reload-interval")
        #expect(Settings.allowExpired.info.flag == "--allow-expired")
        #expect(WatchMode.allCases.map(\.rawValue) == ["auto", "inotify", "stat", "off"])
    }

    @Test("reloading defaults")
    func reloadingDefaults() {
        #expect(ConfigurationDefaults.watchMode == .auto)
        #expect(ConfigurationDefaults.statInterval == .seconds(1))
        #expect(ConfigurationDefaults.reloadInterval == nil)
        #expect(ConfigurationDefaults.allowExpired == false)
        #expect(Settings.statIntervalRange == Duration.milliseconds(50)...Duration.seconds(3_600))
        #expect(Settings.minimumReloadInterval == .seconds(1))
    }

    @Test("booleans are true or false only, in any case")
    func booleans() throws {
        #expect(try ValueParser.boolean("true") == true)
        #expect(try ValueParser.boolean("TRUE") == true)
        #expect(try ValueParser.boolean("False") == false)
        for text in ["yes", "no", "on", "off", "1", "0", "", "y"] {
            #expect(throws: ConfigurationValueError("'\(text)' is not true or false")) {
                try ValueParser.boolean(text)
            }
        }
    }

    @Test("rendered strings are YAML double-quoted with escapes")
    func quoting() {
        #expect(YAMLText.quoted("plain") == "\"plain\"")
        #expect(YAMLText.quoted("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\x01\"")
    }
}
