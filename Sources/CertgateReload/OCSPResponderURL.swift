/// An OCSP responder URL from a certificate's AIA extension that certgate fetches from: `http://` with an
/// IPv4 literal, a bracketed IPv6 literal, `localhost` (taken as 127.0.0.1) or a host name, which
/// `OCSPFetcher` resolves off the control loop (`isLiteral` is false). Other schemes are refused with a
/// reason (pure).
public struct OCSPResponderURL: Equatable, Sendable {
    public let host: String
    public let port: UInt16
    /// The request target, `/` when the URL has none.
    public let path: String
    /// The Host header value, as written in the URL.
    public let hostHeader: String

    public init(host: String, port: UInt16, path: String, hostHeader: String) {
        self.host = host
        self.port = port
        self.path = path
        self.hostHeader = hostHeader
    }

    public static func parse(_ url: String) -> Result<OCSPResponderURL, OCSPFetchFailure> {
        guard url.lowercased().hasPrefix("http://") else {
            return .failure(.unsupportedURL("\(url): only http:// responders are fetched"))
        }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.unsupportedURL(url)) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                return .failure(.unsupportedURL(url))
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        var port: UInt16 = 80
        if let portText {
            guard let parsed = UInt16(portText), parsed > 0 else { return .failure(.unsupportedURL(url)) }
            port = parsed
        }
        let resolved: String
        if host.lowercased() == "localhost" {
            resolved = "127.0.0.1"
        } else if isIPv4(host) || (authority.hasPrefix("[") && host.contains(":")) {
            resolved = String(host)
        } else if isHostName(host) {
            resolved = String(host)
        } else {
            return .failure(.unsupportedURL("\(url): not a host name or IP literal"))
        }
        return .success(OCSPResponderURL(host: resolved, port: port, path: path, hostHeader: String(authority)))
    }

    /// Whether `host` is an IP literal (connected to as is) rather than a name to resolve first.
    public var isLiteral: Bool { Self.isIPv4(host[...]) || host.contains(":") }

    /// Letters, digits, `-` and `.` (DNS names, hosts-file names); not all digits and dots (a bad IPv4).
    private static func isHostName(_ host: Substring) -> Bool {
        !host.isEmpty && host.count <= 253
            && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
            && !host.allSatisfy { $0 == "." || $0.isASCIIDigit }
    }

    private static func isIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && (Int(part) ?? 256) <= 255
            }
    }

    /// The HTTP/1.0 POST carrying `der` (a DER OCSP request).
    public func request(der: [UInt8]) -> [UInt8] {
        let head =
            "POST \(path) HTTP/1.0\r\nHost: \(hostHeader)\r\nContent-Type: application/ocsp-request\r\n"
            + "Accept: application/ocsp-response\r\nContent-Length: \(der.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + der
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
