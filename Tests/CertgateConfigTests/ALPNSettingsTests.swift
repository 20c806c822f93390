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
        flags.upstreamProtocol = "h2c"
        flags.alpn = text
        #expect(try resolver.resolve(flags, file: nil).alpn == expected)
    }

    @Test("a YAML list or a string in the file; the flag beats the file")
    func file() throws {
        let h2c = "upstream-protocol: h2c\n"
        #expect(
            try resolver.resolve(minimalFlags, file: try file(h2c + "alpn: [h2, http/1.1]\n")).alpn == [
                "h2", "http/1.1",
            ])
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
        #expect(
            resolveError(flags) == "--alpn: 'http 1.1' is not an ALPN protocol name (1-255 visible ASCII characters)")
        flags.alpn = String(repeating: "a", count: 256)
        #expect(resolveError(flags)?.hasSuffix("is not an ALPN protocol name (1-255 visible ASCII characters)") == true)
    }

    @Test("the rendered configuration file resolves back to the same list")
    func roundTrip() throws {
        var flags = minimalFlags
        flags.alpn = "h2,http/1.1"
        flags.upstreamProtocol = "h2c"
        let configuration = try resolver.resolve(flags, file: nil)
        let rendered = configuration.renderedAsConfigurationFile()
        #expect(rendered.contains("alpn: \"h2,http/1.1\""))
        #expect(rendered.contains("upstream-protocol: h2c"))
        let again = try resolver.resolve(minimalFlags, file: try file(rendered))
        #expect(again.alpn == ["h2", "http/1.1"])
        #expect(again.upstreamProtocol == .h2c)
    }

    // MARK: h2 and the upstream protocol (identity spoofing through pass-through h2)

    @Test("upstream-protocol is http1 by default; h2c and HTTP1 parse; anything else is refused")
    func upstreamProtocol() throws {
        #expect(try resolver.resolve(minimalFlags, file: nil).upstreamProtocol == .http1)
        var flags = minimalFlags
        flags.upstreamProtocol = "HTTP1"
        #expect(try resolver.resolve(flags, file: nil).upstreamProtocol == .http1)
        #expect(try resolver.resolve(minimalFlags, file: try file("upstream-protocol: h2c\n")).upstreamProtocol == .h2c)
        flags.upstreamProtocol = "h2"
        #expect(resolveError(flags) == "--upstream-protocol: 'h2' is not an upstream protocol (http1 or h2c)")
    }

    @Test(
        "h2 with an http1 upstream (the default) is terminated: accepted, with or without --forward-headers",
        arguments: ["h2,http/1.1", "http/1.1,h2", "h2"])
    func h2TerminatedWithHTTP1Upstream(list: String) throws {
        for forwardHeaders in [false, true] {
            var flags = minimalFlags
            flags.alpn = list
            flags.forwardHeaders = forwardHeaders
            let configuration = try resolver.resolve(flags, file: nil)
            #expect(configuration.upstreamProtocol == .http1 && configuration.alpn.contains("h2"))
        }
        #expect(try resolver.resolve(minimalFlags, file: try file("alpn: [\(list)]\n")).alpn.contains("h2"))
    }

    @Test("terminated h2 cannot go with --proxy-protocol: one line naming both settings")
    func h2TerminatedWithProxyProtocol() throws {
        var flags = minimalFlags
        flags.alpn = "h2,http/1.1"
        flags.proxyProtocol = "v2"
        let error = try #require(resolveError(flags))
        #expect(error.hasPrefix("--alpn: 'h2' with --upstream-protocol http1 cannot be combined with --proxy-protocol"))
        #expect(!error.contains("\n"))
        flags.upstreamProtocol = "h2c"
        #expect(resolveError(flags) == nil)
    }

    @Test("h2 passed through to an h2c upstream is still refused with --forward-headers")
    func h2PassThroughWithForwardHeaders() throws {
        var flags = minimalFlags
        flags.alpn = "h2,http/1.1"
        flags.forwardHeaders = true
        flags.upstreamProtocol = "h2c"
        let error = try #require(resolveError(flags))
        #expect(error.hasPrefix("--upstream-protocol: 'h2c' cannot be combined with --forward-headers"), "\(error)")
        let yaml = "forward-headers: true\nupstream-protocol: h2c\nalpn: [h2, http/1.1]\n"
        let fromFile = try #require(resolveError(minimalFlags, file: try file(yaml)))
        #expect(
            fromFile.hasPrefix("\(Self.filePath): key 'upstream-protocol': 'h2c' cannot be combined"), "\(fromFile)")
    }

    @Test("an h2c upstream with --forward-headers is refused; http/1.1 alone with --forward-headers is fine")
    func h2cWithForwardHeaders() throws {
        var flags = minimalFlags
        flags.forwardHeaders = true
        flags.upstreamProtocol = "h2c"
        #expect(
            resolveError(flags)?.hasPrefix("--upstream-protocol: 'h2c' cannot be combined with --forward-headers")
                == true)
        flags.upstreamProtocol = nil
        flags.alpn = "http/1.1"
        let configuration = try resolver.resolve(flags, file: nil)
        #expect(configuration.forwardHeaders && configuration.alpn == ["http/1.1"])
    }
}
