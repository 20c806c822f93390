import CertgateTLS

/// A certificate source together with the material parsed from it.
public struct LoadedCertificate: Sendable {
    public let source: CertificateSource
    public let certifiedKey: CertifiedKey
    /// SHA-256 of the bytes it was parsed from: a reload that reads the same digest changes nothing.
    public let digest: ContentDigest

    public init(source: CertificateSource, certifiedKey: CertifiedKey, digest: ContentDigest) {
        self.source = source
        self.certifiedKey = certifiedKey
        self.digest = digest
    }

    public var name: String { source.name }
}
