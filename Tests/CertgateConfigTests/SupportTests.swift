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
        #expect(ConfigurationKey.suggestion(for: "upstrem") == .upstream)
        #expect(ConfigurationKey.suggestion(for: "min_tls") == .minTLS)
        #expect(ConfigurationKey.suggestion(for: "ciphersuite") == .ciphersuites)
        #expect(ConfigurationKey.suggestion(for: "xyz") == nil)
        #expect(ConfigurationKey.suggestion(for: "timeout") == nil)
        #expect(ConfigurationKey.suggestion(for: "statinterval") == .statInterval)
        #expect(ConfigurationKey.suggestion(for: "reload_interval") == .reloadInterval)
        #expect(ConfigurationKey.suggestion(for: "allow_expired") == .allowExpired)
        #expect(ConfigurationKey.suggestion(for: "wath") == .watch)
        #expect(ConfigurationKey.suggestion(for: "interval") == nil)
    }

    @Test("every config key matches its flag name")
    func keysMatchFlags() {
        for key in ConfigurationKey.allCases where key != .certs {
            #expect(key.flag == "--" + key.rawValue)
        }
        #expect(ConfigurationKey.certs.flag == "--cert")
        #expect(ConfigurationKey.allCases.count == 34)
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

    @Test("log levels are case-insensitive and accept warn")
    func logLevels() throws {
        #expect(try SettingParser.logLevel("WARN") == .warning)
        #expect(try SettingParser.logLevel("Notice") == .notice)
        for level in LogLevel.allCases {
            #expect(try SettingParser.logLevel(level.rawValue) == level)
        }
    }

    @Test("workers accepts 1 and 256 but not beyond")
    func workerBounds() throws {
        #expect(try SettingParser.workers("1", processorCount: 8) == 1)
        #expect(try SettingParser.workers("256", processorCount: 8) == 256)
        #expect(try SettingParser.workers("auto", processorCount: 8) == 8)
        #expect(throws: ConfigurationValueError("99999999999999999999999 workers out of range (1-256 or auto)")) {
            try SettingParser.workers("99999999999999999999999", processorCount: 8)
        }
    }

    @Test("the reloading keys and their flags")
    func reloadingKeys() {
        #expect(ConfigurationKey.watch.flag == "--watch")
        #expect(ConfigurationKey.statInterval.flag == "--stat-interval")
        #expect(ConfigurationKey.reloadInterval.flag == "--reload-interval")
        #expect(ConfigurationKey.allowExpired.flag == "--allow-expired")
        #expect(WatchMode.allCases.map(\.rawValue) == ["auto", "inotify", "stat", "off"])
    }

    @Test("reloading defaults")
    func reloadingDefaults() {
        #expect(ConfigurationDefaults.watchMode == .auto)
        #expect(ConfigurationDefaults.statInterval == .seconds(1))
        #expect(ConfigurationDefaults.reloadInterval == nil)
        #expect(ConfigurationDefaults.allowExpired == false)
        #expect(SettingParser.statIntervalRange == Duration.milliseconds(50)...Duration.seconds(3_600))
        #expect(SettingParser.minimumReloadInterval == .seconds(1))
    }

    @Test("booleans are true or false only, in any case")
    func booleans() throws {
        #expect(try SettingParser.boolean("true") == true)
        #expect(try SettingParser.boolean("TRUE") == true)
        #expect(try SettingParser.boolean("False") == false)
        for text in ["yes", "no", "on", "off", "1", "0", "", "y"] {
            #expect(throws: ConfigurationValueError("'\(text)' is not true or false")) {
                try SettingParser.boolean(text)
            }
        }
    }

    @Test("rendered strings are YAML double-quoted with escapes")
    func quoting() {
        #expect(ProxyConfiguration.quoted("plain") == "\"plain\"")
        #expect(ProxyConfiguration.quoted("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\x01\"")
    }
}
