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

    public init(directories: [String], pairs: [CertificatePair], defaultName: String? = nil, allowExpired: Bool = false)
    {
        self.directories = directories
        self.pairs = pairs
        self.defaultName = defaultName
        self.allowExpired = allowExpired
    }
}
