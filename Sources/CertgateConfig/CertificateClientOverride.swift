/// One entry of the config file's `per-certificate:` mapping as written: the client-certificate settings
/// a certificate NAME (as loaded, the names `certgate check` prints) overrides. Scalars are kept as text
/// for the resolver, paths are already absolute against the file's directory; `nil` means "inherit".
public struct CertificateClientOverride: Sendable, Equatable {
    /// The keys allowed inside an entry.
    public static let keys = ["client-auth", "client-ca", "client-crl", "verify-depth", "allow-cn", "allow-dns", "allow-uri"]

    public var name: String
    public var clientAuth: String?
    public var clientCA: String?
    public var clientCRL: String?
    public var verifyDepth: String?
    public var allowCN: [String]?
    public var allowDNS: [String]?
    public var allowURI: [String]?

    public init(name: String) {
        self.name = name
    }
}

/// The effective client-certificate policy of one certificate name after a `per-certificate:` override:
/// every setting the override left out is inherited from the global one (see `ConfigurationResolver`).
public struct CertificateClientPolicy: Sendable, Equatable {
    /// The certificate name the override is for.
    public var name: String
    public var clientCA: String?
    public var clientAuth: ClientAuthMode
    public var verifyDepth: Int
    public var clientCRL: String?
    public var allowCN: [String]
    public var allowDNS: [String]
    public var allowURI: [String]

    public init(name: String, clientCA: String?, clientAuth: ClientAuthMode, verifyDepth: Int, clientCRL: String?,
                allowCN: [String], allowDNS: [String], allowURI: [String]) {
        self.name = name
        self.clientCA = clientCA
        self.clientAuth = clientAuth
        self.verifyDepth = verifyDepth
        self.clientCRL = clientCRL
        self.allowCN = allowCN
        self.allowDNS = allowDNS
        self.allowURI = allowURI
    }
}
