/// The header fields certgate adds to every request of one connection in `--forward-headers` mode, and
/// the rule for the copies a client may have sent.
///
/// Built once per connection (everything in it is a property of the connection: client address, port,
/// client certificate), then appended to each request head as ready-made bytes.
public struct ForwardedHeaders: Sendable, Equatable {
    /// The field names certgate sets; any field with one of these names (case-insensitive, `_` taken as
    /// `-`, as CGI-style servers do) is removed from requests and trailers first.
    public static let managedNames = [
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-client-cert",
    ]

    /// `X-Forwarded-For: ...\r\n...`, ready to append before the empty line that ends a head.
    public let block: [UInt8]

    /// - Parameters:
    ///   - clientAddress: the client's IP address as text (no port, IPv6 without brackets).
    ///   - port: the port the client connected to.
    ///   - clientCertificate: the verified client certificate's details, or `nil` (no XFCC field).
    public init(clientAddress: String, port: Int, clientCertificate: ClientCertificateDetails?) {
        var text = "X-Forwarded-For: \(Self.sanitized(clientAddress))\r\n"
        text += "X-Forwarded-Proto: https\r\n"
        text += "X-Forwarded-Port: \(port)\r\n"
        if let clientCertificate {
            text += "X-Forwarded-Client-Cert: \(clientCertificate.xfccElement)\r\n"
        }
        block = Array(text.utf8)
    }

    /// Whether a field with this name (raw bytes, any case) is one of `managedNames`.
    public static func isManaged(_ name: UnsafeRawBufferPointer) -> Bool {
        // Every managed name starts with "x-forwarded-" and is 15 to 23 bytes long.
        guard name.count >= 15, name.count <= 23, name[0] | 0x20 == UInt8(ascii: "x") else { return false }
        return managedNames.contains { candidate in
            guard candidate.utf8.count == name.count else { return false }
            var index = 0
            for expected in candidate.utf8 {
                var byte = name[index]
                if byte >= 65 && byte <= 90 { byte |= 0x20 }
                if byte == UInt8(ascii: "_") { byte = UInt8(ascii: "-") }
                if byte != expected { return false }
                index += 1
            }
            return true
        }
    }

    /// Keeps only visible ASCII (an address never has anything else; a header value must not).
    static func sanitized(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }))
    }
}

/// What `X-Forwarded-Client-Cert` says about a verified client certificate.
public struct ClientCertificateDetails: Sendable, Equatable {
    /// SHA-256 of the certificate's DER encoding.
    public var sha256: [UInt8]
    /// The subject, RFC 2253 (OpenSSL escapes control and non-ASCII characters).
    public var subject: String
    public var uris: [String]
    public var dnsNames: [String]

    public init(sha256: [UInt8], subject: String, uris: [String], dnsNames: [String]) {
        self.sha256 = sha256
        self.subject = subject
        self.uris = uris
        self.dnsNames = dnsNames
    }

    /// One element in Envoy's XFCC format: `Hash=<hex>;Subject="<dn>";URI=<uri>;DNS=<name>` (one `URI=`
    /// per URI SAN, one `DNS=` per DNS SAN). Values containing `,` `;` `=` or `"` are quoted, with `"`
    /// and `\` escaped by a backslash; the subject is always quoted, as Envoy does. A SAN entry holding a
    /// byte that cannot appear in a header value (a control character, non-ASCII) is left out rather than
    /// passed on.
    public var xfccElement: String {
        var parts = [
            "Hash="
                + sha256.map { byte in
                    let digits = Array("0123456789abcdef")
                    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
                }.joined()
        ]
        parts.append("Subject=" + Self.quoted(subject))
        for uri in uris where Self.isPrintable(uri) { parts.append("URI=" + Self.value(uri)) }
        for name in dnsNames where Self.isPrintable(name) { parts.append("DNS=" + Self.value(name)) }
        return parts.joined(separator: ";")
    }

    static func isPrintable(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 32 && $0 < 127 }
    }

    static func value(_ text: String) -> String {
        text.contains(where: { ",;=\"".contains($0) }) ? quoted(text) : text
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\": out += "\\" + String(scalar)
            case _ where scalar.value >= 32 && scalar.value < 127: out.unicodeScalars.append(scalar)
            default: break
            }
        }
        return out + "\""
    }
}
