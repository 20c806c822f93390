/// Which socket an endpoint string is for; the roles differ in what shorthand and ports they allow.
public enum EndpointRole: Sendable, Equatable {
    /// The TLS listener. Port 0 asks the kernel for any free port (used by tests).
    case listen
    /// The plaintext backend. Port 0 is meaningless for a connect, so it is rejected.
    case upstream
    /// The admin HTTP listener. Accepts `PORT` or `:PORT` as shorthand for `127.0.0.1:PORT`, because
    /// the admin endpoint should be loopback-only unless the operator spells out another address.
    case admin

    var allowsPortZero: Bool { self != .upstream }
}

extension SocketEndpoint {
    /// The address the admin shorthand (`9100`, `:9100`) binds to.
    public static let adminShorthandHost = "127.0.0.1"

    /// Parses `HOST:PORT` or `[IPv6]:PORT` (and, for `.admin`, `PORT` / `:PORT`).
    ///
    /// The host is checked only for shape (a name, an IPv4 literal or a bracketed IPv6 literal); whether
    /// it resolves is decided when the proxy binds or connects, so validation stays offline.
    public init(parsing text: String, role: EndpointRole) throws(ConfigurationValueError) {
        if text.isEmpty {
            throw ConfigurationValueError("empty address; expected HOST:PORT")
        }
        if role == .admin {
            let portText = text.hasPrefix(":") ? String(text.dropFirst()) : text
            if !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit) {
                self.init(host: Self.adminShorthandHost, port: try Self.port(portText, role: role))
                return
            }
        }
        if text.contains("://") {
            throw ConfigurationValueError("'\(text)' is not HOST:PORT (give an address, not a URL)")
        }
        let host: String
        let portText: String
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigurationValueError("'\(text)' is not HOST:PORT (missing ']' after the IPv6 address)")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ConfigurationValueError("'\(text)' is not HOST:PORT (expected ':PORT' after ']')")
            }
            portText = String(rest.dropFirst())
            guard Self.isIPv6Literal(host) else {
                throw ConfigurationValueError("'\(text)' is not HOST:PORT ('\(host)' is not an IPv6 address)")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigurationValueError("'\(text)' is not HOST:PORT")
            }
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
            if host.contains(":") {
                throw ConfigurationValueError(
                    "'\(text)' is not HOST:PORT (put IPv6 addresses in brackets, e.g. [::1]:443)"
                )
            }
            if host.isEmpty {
                throw ConfigurationValueError(
                    "'\(text)' is not HOST:PORT (the host is missing; use 0.0.0.0 or [::] for all addresses)"
                )
            }
            guard Self.isHostName(host) else {
                throw ConfigurationValueError("'\(text)' is not HOST:PORT ('\(host)' is not a valid host)")
            }
        }
        guard !portText.isEmpty else {
            throw ConfigurationValueError("'\(text)' is not HOST:PORT (the port is missing)")
        }
        guard portText.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationValueError("'\(text)' is not HOST:PORT (port '\(portText)' is not a number)")
        }
        self.init(host: host, port: try Self.port(portText, role: role))
    }

    private static func port(_ digits: String, role: EndpointRole) throws(ConfigurationValueError) -> UInt16 {
        let lowest = role.allowsPortZero ? 0 : 1
        // More than 5 digits cannot be a port; checking the length first also avoids Int overflow.
        let value = digits.count <= 5 ? Int(digits) ?? Int.max : Int.max
        guard value >= lowest, value <= Int(UInt16.max) else {
            let shown = digits.count <= 18 ? String(Int(digits) ?? 0) : digits
            throw ConfigurationValueError("port \(shown) out of range (\(lowest)-65535)")
        }
        return UInt16(value)
    }

    /// Letters, digits, `-`, `_` and `.`: enough for DNS names and IPv4 literals, and rejects spaces,
    /// slashes and schemes (`https://...`) that are common paste mistakes.
    private static func isHostName(_ host: String) -> Bool {
        host.unicodeScalars.allSatisfy { scalar in
            guard scalar.isASCII else { return false }
            return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || "-_.".unicodeScalars.contains(scalar)
        }
    }

    /// Hex digits, colons and dots (for the embedded-IPv4 form), with at least one colon, optionally
    /// followed by a `%zone` (`fe80::1%eth0`).
    private static func isIPv6Literal(_ host: String) -> Bool {
        let parts = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        let address = parts[0]
        if parts.count == 2 && parts[1].isEmpty { return false }
        return address.contains(":")
            && address.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isASCIIHexDigit || scalar == ":" || scalar == ".")
            }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
