import Testing

@testable import CertgateConfig

/// `--alpn` / `alpn:`.
@Suite("ALPN settings")
struct ALPNSettingsTests {
    static let filePath = "/etc/certgate/proxy.yaml"
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)

    var minimalFlags: ConfigurationFlags {
        ConfigurationFlags(listen: "0.0.0.0:8443", upstream: "127.0.0.1:8080", certificateDirectories: ["certs"])
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

    @Test("off by default")
    func defaultOff() throws {
        #expect(try resolver.resolve(minimalFlags, file: nil).alpn == [])
    }

    @Test(
        "a comma-separated list in preference order; off and none mean no ALPN",
        arguments: [
            ("h2,http/1.1", ["h2", "http/1.1"]), (" http/1.1 , h2 ", ["http/1.1", "h2"]), ("http/1.1", ["http/1.1"]),
            ("off", []), ("NONE", []),
        ]
    )
    func lists(text: String, expected: [String]) throws {
        var flags = minimalFlags
        flags.alpn = text
        #expect(try resolver.resolve(flags, file: nil).alpn == expected)
    }

    @Test("a YAML list or a string in the file; the flag beats the file")
    func file() throws {
        #expect(try resolver.resolve(minimalFlags, file: try file("alpn: [h2, http/1.1]\n")).alpn == ["h2", "http/1.1"])
        #expect(try resolver.resolve(minimalFlags, file: try file("alpn: http/1.1\n")).alpn == ["http/1.1"])
        var flags = minimalFlags
        flags.alpn = "off"
        #expect(try resolver.resolve(flags, file: try file("alpn: h2\n")).alpn == [])
    }

    @Test("empty names, repeated names, spaces inside and overlong names are refused, naming the flag")
    func invalid() {
        var flags = minimalFlags
        flags.alpn = "h2,,http/1.1"
        #expect(resolveError(flags) == "--alpn: 'h2,,http/1.1': empty protocol name in the ALPN list")
        flags.alpn = "h2,h2"
        #expect(resolveError(flags) == "--alpn: 'h2' appears twice in the ALPN list")
        flags.alpn = "http 1.1"
        #expect(resolveError(flags) == "--alpn: 'http 1.1' is not an ALPN protocol name (1-255 visible ASCII characters)")
        flags.alpn = String(repeating: "a", count: 256)
        #expect(resolveError(flags)?.hasSuffix("is not an ALPN protocol name (1-255 visible ASCII characters)") == true)
    }

    @Test("the rendered configuration file resolves back to the same list")
    func roundTrip() throws {
        var flags = minimalFlags
        flags.alpn = "h2,http/1.1"
        let configuration = try resolver.resolve(flags, file: nil)
        let rendered = configuration.renderedAsConfigurationFile()
        #expect(rendered.contains("alpn: \"h2,http/1.1\""))
        let again = try resolver.resolve(minimalFlags, file: try file(rendered))
        #expect(again.alpn == ["h2", "http/1.1"])
    }
}
