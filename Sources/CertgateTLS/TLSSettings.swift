/// Protocol and cipher policy for the server context.
public struct TLSSettings: Sendable, Equatable {
    public enum ProtocolVersion: Sendable, Equatable {
        case tls12
        case tls13
    }

    /// Lowest accepted version; the highest is always TLS 1.3.
    public var minimumVersion: ProtocolVersion
    /// OpenSSL cipher list for TLS 1.2 (`nil`: `TLSSettings.defaultCiphers`).
    public var ciphers: String?
    /// OpenSSL ciphersuites for TLS 1.3 (`nil`: `TLSSettings.defaultCiphersuites`).
    public var ciphersuites: String?
    /// Key-exchange groups, most preferred first, colon-separated (`nil`: `TLSSettings.defaultGroups`).
    public var groups: String?

    /// ALPN protocols offered, most preferred first (server preference); empty: no ALPN answer.
    public var alpn: [String]

    /// `--strict-sni`: a handshake whose SNI name matches no certificate, or that sends no name while
    /// several certificates are loaded, fails with a fatal `unrecognized_name` alert instead of getting
    /// the default certificate.
    public var strictSNI: Bool

    /// Session tickets (TLS 1.2 tickets, TLS 1.3 stateless tickets); off sets `SSL_OP_NO_TICKET`.
    public var tickets: Bool
    /// How long a session (and so a ticket) can be resumed: `SSL_CTX_set_timeout`, and the TLS 1.3
    /// ticket lifetime hint.
    public var ticketLifetime: Duration

    public init(
        minimumVersion: ProtocolVersion = .tls12, ciphers: String? = nil, ciphersuites: String? = nil,
        groups: String? = nil, alpn: [String] = [], strictSNI: Bool = false, tickets: Bool = true,
        ticketLifetime: Duration = .seconds(7200)
    ) {
        self.tickets = tickets
        self.ticketLifetime = ticketLifetime
        self.minimumVersion = minimumVersion
        self.ciphers = ciphers
        self.ciphersuites = ciphersuites
        self.groups = groups
        self.alpn = alpn
        self.strictSNI = strictSNI
    }

    /// `alpn` in the ALPN wire format (each protocol as a length byte and its name).
    var alpnWireFormat: [UInt8] {
        alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    /// TLS 1.2: forward-secret ECDHE key exchange with AEAD ciphers only (no CBC, no RSA key exchange,
    /// no DHE), AES-128-GCM first: as strong as the others against every known attack and the cheapest
    /// per byte on CPUs with AES-NI.
    public static let defaultCiphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// TLS 1.3: all three standard AEAD suites, AES-128-GCM preferred (server preference is on).
    public static let defaultCiphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    /// Key-exchange groups, fastest first.
    public static let defaultGroups = "X25519:P-256:P-384"
}
