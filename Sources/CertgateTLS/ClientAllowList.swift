/// `--allow-cn`, `--allow-dns`, `--allow-uri`: which verified client certificates are let in. The lists
/// are OR'd; empty lists mean no restriction.
///
/// Patterns are exact (ASCII case-insensitive for CN and DNS, exact for URI), except that a `*` that is
/// a whole DNS label (CN and DNS names, split on `.`) or a whole URI path segment (split on `/`) matches
/// exactly one non-empty label or segment: `*.clients.example.com` matches `a.clients.example.com`, not
/// `b.a.clients.example.com`; `spiffe://prod/ns/*/sa/web` matches `spiffe://prod/ns/pay/sa/web`.
public struct ClientAllowList: Sendable, Equatable {
    public let commonNames: [String]
    public let dnsNames: [String]
    public let uris: [String]

    public init(commonNames: [String] = [], dnsNames: [String] = [], uris: [String] = []) {
        self.commonNames = commonNames
        self.dnsNames = dnsNames
        self.uris = uris
    }

    public var isEmpty: Bool { commonNames.isEmpty && dnsNames.isEmpty && uris.isEmpty }

    /// Whether a certificate with these names is allowed.
    public func permits(commonName: String?, dnsNames certificateDNS: [String], uris certificateURIs: [String]) -> Bool
    {
        if isEmpty { return true }
        if let commonName, commonNames.contains(where: { Self.matches($0, commonName, separator: ".", folding: true) })
        {
            return true
        }
        for name in certificateDNS
        where dnsNames.contains(where: { Self.matches($0, name, separator: ".", folding: true) }) {
            return true
        }
        for uri in certificateURIs where uris.contains(where: { Self.matches($0, uri, separator: "/", folding: false) })
        {
            return true
        }
        return false
    }

    static func matches(_ pattern: String, _ value: String, separator: Character, folding: Bool) -> Bool {
        let p = pattern.split(separator: separator, omittingEmptySubsequences: false)
        let v = value.split(separator: separator, omittingEmptySubsequences: false)
        guard p.count == v.count else { return false }
        for (a, b) in zip(p, v) {
            if a == "*" {
                if b.isEmpty { return false }
                continue
            }
            if folding ? a.lowercased() != b.lowercased() : a != b { return false }
        }
        return true
    }
}
