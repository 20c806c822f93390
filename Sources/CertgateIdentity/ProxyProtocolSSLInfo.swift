/// The TLS details carried in a PROXY protocol v2 `PP2_TYPE_SSL` (0x20) TLV.
public struct ProxyProtocolSSLInfo: Sendable, Hashable {
    /// The `client` bit field of `PP2_TYPE_SSL`.
    public struct ClientFlags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// `PP2_CLIENT_SSL`: the client connected over SSL/TLS.
        public static let ssl = ClientFlags(rawValue: 0x01)
        /// `PP2_CLIENT_CERT_CONN`: the client presented a certificate over this connection.
        public static let certificateOnConnection = ClientFlags(rawValue: 0x02)
        /// `PP2_CLIENT_CERT_SESS`: the client presented a certificate at least once over this TLS session.
        public static let certificateInSession = ClientFlags(rawValue: 0x04)
    }

    public var client: ClientFlags
    /// `verify`: 0 when the client presented a certificate and it was verified; non-zero otherwise
    /// (an OpenSSL `X509_V_ERR_*` code is conventional). Sent big-endian.
    public var verify: UInt32
    /// `PP2_SUBTYPE_SSL_VERSION` (0x21), e.g. "TLSv1.3".
    public var version: String?
    /// `PP2_SUBTYPE_SSL_CN` (0x22): the client certificate's subject common name. Sent only when `client`
    /// says a certificate was presented (``ClientFlags/certificateOnConnection`` or
    /// ``ClientFlags/certificateInSession``).
    public var commonName: String?
    /// `PP2_SUBTYPE_SSL_CIPHER` (0x23), e.g. "TLS_AES_128_GCM_SHA256".
    public var cipher: String?

    public init(
        client: ClientFlags = .ssl, verify: UInt32 = 0, version: String? = nil, commonName: String? = nil,
        cipher: String? = nil
    ) {
        self.client = client
        self.verify = verify
        self.version = version
        self.commonName = commonName
        self.cipher = cipher
    }

    /// Whether `client` says a client certificate was presented.
    public var clientCertificatePresented: Bool {
        !client.isDisjoint(with: [.certificateOnConnection, .certificateInSession])
    }
}
