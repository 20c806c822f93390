/// One entry of the config file's `per-certificate:` mapping as written: the client-certificate settings
/// a certificate NAME (as loaded, the names `certgate check` prints) overrides, as the raw values of
/// the global settings they replace (`Settings.perCertificateOverrides`). Absent keys inherit.
public struct CertificateClientOverride: Sendable, Equatable {
    public var name: String
    /// The entry's values, keyed like the top-level keys; `keyPrefix` makes errors name
    /// `per-certificate.NAME.KEY`.
    public var settings: ConfigurationFile

    public init(name: String, settings: ConfigurationFile) {
        self.name = name
        self.settings = settings
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

    public init(
        name: String, clientCA: String?, clientAuth: ClientAuthMode, verifyDepth: Int, clientCRL: String?,
        allowCN: [String], allowDNS: [String], allowURI: [String]
    ) {
        self.name = name
        self.clientCA = clientCA
        self.clientAuth = clientAuth
        self.verifyDepth = verifyDepth
        self.clientCRL = clientCRL
        self.allowCN = allowCN
        self.allowDNS = allowDNS
        self.allowURI = allowURI
    }

    /// The policy `configuration`'s client-certificate settings make, under `name`.
    init(name: String, _ configuration: ProxyConfiguration) {
        self.init(
            name: name, clientCA: configuration.clientCA, clientAuth: configuration.clientAuth,
            verifyDepth: configuration.verifyDepth, clientCRL: configuration.clientCRL,
            allowCN: configuration.allowCN, allowDNS: configuration.allowDNS, allowURI: configuration.allowURI)
    }
}
