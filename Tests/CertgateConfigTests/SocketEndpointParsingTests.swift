import Testing

@testable import CertgateConfig

@Suite("Endpoint parsing")
struct SocketEndpointParsingTests {
    @Test(
        "parses HOST:PORT and [IPv6]:PORT for every role",
        arguments: [
            ("127.0.0.1:8080", "127.0.0.1", UInt16(8080)),
            ("localhost:443", "localhost", 443),
            ("backend-1.internal.example:65535", "backend-1.internal.example", 65535),
            ("[::1]:8443", "::1", 8443),
            ("[::]:1", "::", 1),
            ("[2001:db8::10]:443", "2001:db8::10", 443),
            ("[fe80::1%eth0]:80", "fe80::1%eth0", 80),
            ("[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80),
        ]
    )
    func parsesHostAndPort(text: String, host: String, port: UInt16) throws {
        for role in [EndpointRole.listen, .upstream, .admin] {
            let endpoint = try SocketEndpoint(parsing: text, role: role)
            #expect(endpoint == SocketEndpoint(host: host, port: port))
        }
    }

    @Test("description brackets IPv6 so it parses back to the same endpoint")
    func descriptionRoundTrips() throws {
        for text in ["[::1]:8443", "127.0.0.1:80", "example.com:443"] {
            let endpoint = try SocketEndpoint(parsing: text, role: .upstream)
            #expect(endpoint.description == text)
        }
    }

    @Test("admin accepts PORT and :PORT as 127.0.0.1:PORT", arguments: ["9100", ":9100"])
    func adminShorthand(text: String) throws {
        #expect(try SocketEndpoint(parsing: text, role: .admin) == SocketEndpoint(host: "127.0.0.1", port: 9100))
    }

    @Test("the PORT shorthand is for the admin listener only", arguments: [EndpointRole.listen, .upstream])
    func shorthandRejectedElsewhere(role: EndpointRole) {
        #expect(throws: ConfigurationValueError("'9100' is not HOST:PORT")) {
            try SocketEndpoint(parsing: "9100", role: role)
        }
        #expect {
            try SocketEndpoint(parsing: ":9100", role: role)
        } throws: { error in
            (error as? ConfigurationValueError)?.message.contains("the host is missing") == true
        }
    }

    @Test("port 0 means any free port for listen and admin, but not upstream")
    func portZero() throws {
        #expect(try SocketEndpoint(parsing: "127.0.0.1:0", role: .listen).port == 0)
        #expect(try SocketEndpoint(parsing: "0", role: .admin) == SocketEndpoint(host: "127.0.0.1", port: 0))
        #expect(throws: ConfigurationValueError("port 0 out of range (1-65535)")) {
            try SocketEndpoint(parsing: "127.0.0.1:0", role: .upstream)
        }
    }

    @Test(
        "rejects bad input with a message quoting it",
        arguments: [
            ("foo", EndpointRole.upstream, "'foo' is not HOST:PORT"),
            ("", .listen, "empty address; expected HOST:PORT"),
            ("host:70000", .upstream, "port 70000 out of range (1-65535)"),
            ("host:70000", .listen, "port 70000 out of range (0-65535)"),
            ("70000", .admin, "port 70000 out of range (0-65535)"),
            ("host:123456789012345678901234", .upstream, "port 123456789012345678901234 out of range (1-65535)"),
            ("host:", .upstream, "'host:' is not HOST:PORT (the port is missing)"),
            ("host:http", .upstream, "'host:http' is not HOST:PORT (port 'http' is not a number)"),
            ("host:-1", .upstream, "'host:-1' is not HOST:PORT (port '-1' is not a number)"),
            ("::1:443", .listen, "'::1:443' is not HOST:PORT (put IPv6 addresses in brackets, e.g. [::1]:443)"),
            ("[::1]443", .listen, "'[::1]443' is not HOST:PORT (expected ':PORT' after ']')"),
            ("[::1:443", .listen, "'[::1:443' is not HOST:PORT (missing ']' after the IPv6 address)"),
            ("[]:443", .listen, "'[]:443' is not HOST:PORT ('' is not an IPv6 address)"),
            (
                "[example.com]:443", .listen,
                "'[example.com]:443' is not HOST:PORT ('example.com' is not an IPv6 address)"
            ),
            ("http://x:80", .upstream, "'http://x:80' is not HOST:PORT (give an address, not a URL)"),
            ("my host:80", .upstream, "'my host:80' is not HOST:PORT ('my host' is not a valid host)"),
        ]
    )
    func rejects(text: String, role: EndpointRole, message: String) {
        #expect(throws: ConfigurationValueError(message)) {
            try SocketEndpoint(parsing: text, role: role)
        }
    }
}
