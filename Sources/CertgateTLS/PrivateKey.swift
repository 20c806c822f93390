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

    /// A short, stable description for `check` output and logs: "ECDSA-P256", "RSA-2048", "Ed25519"; for
    /// other key types the name OpenSSL knows them by. Keys of a type only a provider knows have no NID
    /// (`OBJ_nid2sn` gives NULL): their provider's name for the type is used instead.
    public var typeDescription: String {
        let id = EVP_PKEY_get_base_id(raw)
        var groupName: String?
        if id == EVP_PKEY_EC {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_group_name(raw, &name, name.count, &length) == 1 { groupName = String(nulTerminated: name) }
        }
        // OBJ_nid2sn queues an error for a NID it does not know; nothing of it must stay behind.
        defer { OpenSSLError.clearQueue() }
        return Self.describe(
            baseID: id, bits: EVP_PKEY_get_bits(raw), groupName: groupName,
            shortName: id > 0 ? OBJ_nid2sn(id).map { String(cString: $0) } : nil,
            typeName: EVP_PKEY_get0_type_name(raw).map { String(cString: $0) })
    }

    /// `typeDescription` from what OpenSSL says about a key: its base NID, size, EC group, the NID's
    /// short name and the provider's type name (either may be missing).
    static func describe(baseID: Int32, bits: Int32, groupName: String?, shortName: String?, typeName: String?)
        -> String
    {
        switch baseID {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            return "RSA-\(bits)"
        case EVP_PKEY_EC:
            switch groupName {
            case "prime256v1", "P-256": return "ECDSA-P256"
            case "secp384r1", "P-384": return "ECDSA-P384"
            case "secp521r1", "P-521": return "ECDSA-P521"
            case let other?: return "ECDSA-\(other)"
            case nil: return "ECDSA-\(bits)"
            }
        case EVP_PKEY_ED25519:
            return "Ed25519"
        case EVP_PKEY_ED448:
            return "Ed448"
        default:
            if let shortName, baseID != NID_undef { return shortName }
            if let typeName, !typeName.isEmpty { return typeName }
            return bits > 0 ? "unknown key type (\(bits) bits)" : "unknown key type"
        }
    }
}
