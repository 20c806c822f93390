/// What one SNI name serves: one certificate, or an ECDSA certificate with an RSA one beside it, of which
/// each handshake gets the one its client supports (ECDSA preferred; see `ClientKeyOffer`).
public struct ServedCertificate: Sendable {
    /// The only certificate, or the ECDSA one of a pair.
    public let primary: LoadedCertificate
    /// The RSA certificate of a pair.
    public let rsaAlternative: LoadedCertificate?

    public init(_ certificate: LoadedCertificate) {
        self.primary = certificate
        self.rsaAlternative = nil
    }

    private init(ecdsa: LoadedCertificate, rsa: LoadedCertificate) {
        self.primary = ecdsa
        self.rsaAlternative = rsa
    }

    /// This name served by this certificate and `other` together: only an ECDSA and an RSA certificate
    /// pair up. `nil` for two of one key type, a third certificate, or other key types (the name then
    /// stays with the certificate that had it, as for any duplicate).
    public func pairing(with other: LoadedCertificate) -> ServedCertificate? {
        guard rsaAlternative == nil else { return nil }
        switch (primary.certifiedKey.keyType, other.certifiedKey.keyType) {
        case (.ecdsa, .rsa): return ServedCertificate(ecdsa: primary, rsa: other)
        case (.rsa, .ecdsa): return ServedCertificate(ecdsa: other, rsa: primary)
        default: return nil
        }
    }

    /// The certificates by name: one, or two.
    public var certificates: [LoadedCertificate] { [primary] + (rsaAlternative.map { [$0] } ?? []) }

    /// 1 or 2, without building `certificates` (the handshake path asks).
    public var count: Int { rsaAlternative == nil ? 1 : 2 }

    public func contains(_ name: String) -> Bool { primary.name == name || rsaAlternative?.name == name }
}

/// An ECDSA and an RSA certificate that share names (`CertificateSnapshot.dualCertificates`).
public struct DualCertificate: Sendable, Equatable {
    public let ecdsa: String
    public let rsa: String
    /// The names both serve, as written in the certificates, in the order they were found.
    public let names: [String]

    public init(ecdsa: String, rsa: String, names: [String]) {
        self.ecdsa = ecdsa
        self.rsa = rsa
        self.names = names
    }
}
