import COpenSSL
import COpenSSLShims
import Testing

@testable import CertgateTLS

/// What happens where OpenSSL hands back less than expected: every such path refuses or reports an error
/// instead of carrying on with a default.
@Suite("Fail closed: OpenSSL failures are errors")
struct FailClosedTests {
    /// Queues an OpenSSL error as `library`'s `reason` (what ERR_raise does).
    private func push(library: Int32, reason: Int32) {
        ERR_new()
        withVaList([]) { ERR_vset_error(library, reason, nil, $0) }
    }

    @Test func theAllowListCallbackRefusesALeafWhenItCannotFindItsConnection() throws {
        let fixture = try TLSFixture.get()
        // The client's certificate chains to Test CA and is on the allow-list: only the missing connection
        // (no SSL in the store context's ex_data) can make the callback refuse it.
        let trust = try fixture.trust(identity: "allow", allowList: ClientAllowList(commonNames: ["client"]))
        let leaf = try #require(CertifiedKey.certificates(inPEM: fixture.client.certificatePEM).first)
        let context = try #require(X509_STORE_CTX_new())
        defer { X509_STORE_CTX_free(context) }

        #expect(X509_STORE_CTX_init(context, trust.store, leaf.raw, nil) == 1)
        #expect(X509_verify_cert(context) == 1, "control: without the callback the chain verifies")
        X509_STORE_CTX_cleanup(context)

        #expect(X509_STORE_CTX_init(context, trust.store, leaf.raw, nil) == 1)
        X509_STORE_CTX_set_verify_cb(context, clientVerifyCallback)
        #expect(X509_verify_cert(context) != 1)
        #expect(X509_STORE_CTX_get_error(context) == X509_V_ERR_APPLICATION_VERIFICATION)
        ERR_clear_error()
    }

    @Test func errorsAreToldApartByLibraryAndReasonCodeNotText() {
        push(library: ERR_LIB_X509, reason: X509_R_CERT_ALREADY_IN_HASH_TABLE)
        let duplicate = OpenSSLError.drain()
        #expect(duplicate.library == ERR_LIB_X509 && duplicate.reasonCode == X509_R_CERT_ALREADY_IN_HASH_TABLE)
        #expect(ClientTrust.isDuplicate(duplicate))

        // The same reason number from another library, another reason of X509, an empty queue: not duplicates.
        push(library: ERR_LIB_SSL, reason: X509_R_CERT_ALREADY_IN_HASH_TABLE)
        #expect(!ClientTrust.isDuplicate(OpenSSLError.drain()))
        push(library: ERR_LIB_X509, reason: X509_R_CERT_ALREADY_IN_HASH_TABLE + 1)
        #expect(!ClientTrust.isDuplicate(OpenSSLError.drain()))
        #expect(!ClientTrust.isDuplicate(OpenSSLError.drain()))

        // Handshake failures likewise: SSL's "no shared cipher" is one; the same number elsewhere is not.
        push(library: ERR_LIB_SSL, reason: SSL_R_NO_SHARED_CIPHER)
        #expect(HandshakeFailureReason(.protocolError(OpenSSLError.drain())) == .noSharedCipher)
        push(library: ERR_LIB_X509, reason: SSL_R_NO_SHARED_CIPHER)
        #expect(HandshakeFailureReason(.protocolError(OpenSSLError.drain())) == .internal)
    }

    @Test func aCertificateWithoutAFingerprintIsAnError() throws {
        // An empty X509 does not encode, so it has no SHA-256: the wrapper refuses it (and frees it).
        let empty = try #require(X509_new())
        #expect(throws: OpenSSLError.self) { try Certificate(takingOwnership: empty) }
        let crl = try #require(X509_CRL_new())
        #expect(throws: OpenSSLError.self) { try RevocationList(takingOwnership: crl) }
        ERR_clear_error()

        // A real one has the fingerprint the openssl command line reports.
        let fixture = try TLSFixture.get()
        let certificate = try #require(CertifiedKey.certificates(inPEM: fixture.caPEM).first)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        #expect(X509_digest(certificate.raw, EVP_sha256(), &digest, &length) == 1)
        #expect(certificate.sha256Fingerprint == digest)
    }

    @Test func theChainStackHoldsEveryIntermediate() throws {
        let fixture = try TLSFixture.get()
        // A leaf followed by two more certificates: both go on the stack OpenSSL serves, in file order.
        let key = try CertifiedKey.parse(
            certificatePEM: fixture.client.certificatePEM + fixture.caPEM + fixture.otherCAPEM,
            privateKeyPEM: fixture.client.keyPEM)
        #expect(key.chain.count == 2)
        #expect(COpenSSLShims_sk_X509_num(key.chainStack) == 2)
        let onStack = (0..<2).map { OPENSSL_sk_value(key.chainStack, Int32($0)).map(OpaquePointer.init) }
        #expect(onStack == key.chain.map { Optional($0.raw) })
    }

    @Test func keysOfATypeWithoutANIDAreDescribedWithoutCrashing() throws {
        #expect(
            PrivateKey.describe(baseID: -1, bits: 0, groupName: nil, shortName: nil, typeName: nil)
                == "unknown key type")
        #expect(
            PrivateKey.describe(baseID: -1, bits: 1952, groupName: nil, shortName: nil, typeName: nil)
                == "unknown key type (1952 bits)")
        #expect(
            PrivateKey.describe(baseID: -1, bits: 1952, groupName: nil, shortName: nil, typeName: "ML-DSA-65")
                == "ML-DSA-65")
        #expect(
            PrivateKey.describe(baseID: NID_undef, bits: 0, groupName: nil, shortName: "UNDEF", typeName: "X")
                == "X", "NID_undef's short name is no description")
        #expect(
            PrivateKey.describe(baseID: EVP_PKEY_EC, bits: 256, groupName: nil, shortName: nil, typeName: nil)
                == "ECDSA-256")

        // A real key that none of the named cases covers goes through the same path.
        let seed = [UInt8](repeating: 7, count: 32)
        let raw = try #require(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, seed, seed.count))
        #expect(PrivateKey(takingOwnership: raw).typeDescription == "X25519")
        #expect(ERR_peek_error() == 0, "describing a key leaves no error behind")
    }
}
