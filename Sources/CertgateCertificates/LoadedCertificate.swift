import CertgateTLS

/// A certificate source together with the material parsed from it.
public struct LoadedCertificate: Sendable {
    public let source: CertificateSource
    public let certifiedKey: CertifiedKey
    /// SHA-256 of the bytes it was parsed from: a reload that reads the same digest changes nothing.
    public let digest: ContentDigest
    /// The OCSP response stapled for it: the checked `source.ocspPath`, or the previous one while it is
    /// current when the file was replaced by a bad one.
    public let ocspStaple: OCSPStaple?
    /// What reading `source.ocspPath` gave when it was parsed (`nil`: no file), for logs and metrics.
    public let ocspLoad: OCSPLoad?

    public init(
        source: CertificateSource, certifiedKey: CertifiedKey, digest: ContentDigest, ocspStaple: OCSPStaple? = nil,
        ocspLoad: OCSPLoad? = nil
    ) {
        self.source = source
        self.certifiedKey = certifiedKey
        self.digest = digest
        self.ocspStaple = ocspStaple
        self.ocspLoad = ocspLoad
    }

    public var name: String { source.name }
}
