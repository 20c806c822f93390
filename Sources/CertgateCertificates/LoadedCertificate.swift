import CertgateTLS

/// A certificate source together with the material parsed from it.
public struct LoadedCertificate: Sendable {
    public let source: CertificateSource
    public let certifiedKey: CertifiedKey

    public init(source: CertificateSource, certifiedKey: CertifiedKey) {
        self.source = source
        self.certifiedKey = certifiedKey
    }

    public var name: String { source.name }
}
