import CertgateConfig

/// Where certificates come from and how they are judged: the part of the configuration the
/// certificate store needs.
public struct CertificateStoreOptions: Sendable, Equatable {
    /// `--cert-dir`, in order.
    public var directories: [String]
    /// `--cert/--key` pairs, in order.
    public var pairs: [CertificatePair]
    /// `--default-cert`; `nil` picks the first by name.
    public var defaultName: String?
    /// `--allow-expired`.
    public var allowExpired: Bool
    /// `--ocsp-dir`: where OCSP responses are read (and fetched ones written); `nil`: beside each certificate.
    public var ocspDirectory: String?

    public init(
        directories: [String], pairs: [CertificatePair], defaultName: String? = nil, allowExpired: Bool = false,
        ocspDirectory: String? = nil
    ) {
        self.directories = directories
        self.pairs = pairs
        self.defaultName = defaultName
        self.allowExpired = allowExpired
        self.ocspDirectory = ocspDirectory
    }
}
