internal import COpenSSL

/// What a certificate's key can sign with, as far as choosing between an RSA and an ECDSA certificate for
/// one name goes (`ClientKeyOffer`).
public enum CertificateKeyType: Sendable, Equatable, Hashable {
    /// An `rsaEncryption` key (RSA-PSS-only keys are `.other`: they cannot serve PKCS#1 clients).
    case rsa
    /// An EC key on the named group `group` (the TLS `NamedGroup` code: 23 = P-256, 24 = P-384,
    /// 25 = P-521; 0 for a curve TLS 1.3 has no signature scheme for).
    case ecdsa(group: UInt16)
    case other

    public static let secp256r1: UInt16 = 23
    public static let secp384r1: UInt16 = 24
    public static let secp521r1: UInt16 = 25

    /// "RSA", "ECDSA" or "other": the family, for logs and `check`.
    public var family: String {
        switch self {
        case .rsa: return "RSA"
        case .ecdsa: return "ECDSA"
        case .other: return "other"
        }
    }

    /// The type of `key`, read once when a certificate is loaded.
    static func of(_ key: PrivateKey) -> CertificateKeyType {
        switch EVP_PKEY_get_base_id(key.raw) {
        case EVP_PKEY_RSA:
            return .rsa
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key.raw, &name, name.count, &length) == 1 else { return .ecdsa(group: 0) }
            return .ecdsa(group: group(named: String(nulTerminated: name)))
        default:
            return .other
        }
    }

    /// The TLS group code of an OpenSSL curve name; 0 for others.
    static func group(named name: String) -> UInt16 {
        switch name {
        case "prime256v1", "P-256", "secp256r1": return secp256r1
        case "secp384r1", "P-384": return secp384r1
        case "secp521r1", "P-521": return secp521r1
        default: return 0
        }
    }
}
