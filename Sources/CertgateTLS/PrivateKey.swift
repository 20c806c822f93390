internal import COpenSSL

/// A parsed private key (owns an `EVP_PKEY*`).
///
/// `@unchecked Sendable`: immutable after init; OpenSSL keys are reference counted and may be used for
/// signing from several threads at once.
public final class PrivateKey: @unchecked Sendable {
    let raw: OpaquePointer

    /// Wraps `raw`, taking over the caller's reference.
    init(takingOwnership raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        EVP_PKEY_free(raw)
    }

    /// A short, stable description for `check` output and logs: "ECDSA-P256", "RSA-2048", "Ed25519".
    public var typeDescription: String {
        let bits = EVP_PKEY_get_bits(raw)
        switch EVP_PKEY_get_base_id(raw) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            return "RSA-\(bits)"
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_group_name(raw, &name, name.count, &length) == 1 {
                switch String(nulTerminated: name) {
                case "prime256v1", "P-256": return "ECDSA-P256"
                case "secp384r1", "P-384": return "ECDSA-P384"
                case "secp521r1", "P-521": return "ECDSA-P521"
                case let other: return "ECDSA-\(other)"
                }
            }
            return "ECDSA-\(bits)"
        case EVP_PKEY_ED25519:
            return "Ed25519"
        case EVP_PKEY_ED448:
            return "Ed448"
        case let id:
            return String(cString: OBJ_nid2sn(id))
        }
    }
}
