/// What a ClientHello says about the server keys the client can verify, read from its raw extensions and
/// cipher suites: enough to choose between an ECDSA and an RSA certificate for one name before OpenSSL
/// goes on with the handshake (`choosesECDSA`).
///
/// - TLS 1.3 (the client lists 0x0304 in `supported_versions`; the server always allows 1.3): only
///   `signature_algorithms` counts. ECDSA needs the scheme of the key's curve (`ecdsa_secp256r1_sha256`
///   for P-256, `_secp384r1_sha384`, `_secp521r1_sha512`); RSA needs an `rsa_pss_rsae_*` scheme (TLS 1.3
///   signs with PSS only).
/// - TLS 1.2: the client must offer a cipher suite the server enabled that authenticates with that key
///   type (`ECDHE-ECDSA-*` or `ECDHE-RSA-*`), and, when it sent `signature_algorithms`, a SHA-2 scheme of
///   that type (`ecdsa_*_sha256/384/512`; `rsa_pkcs1_*` or `rsa_pss_rsae_*`); an ECDSA key's curve must
///   also be in `supported_groups` when the client sent it.
/// - A missing extension restricts nothing. A malformed one is read as far as it goes: OpenSSL refuses
///   the ClientHello right after anyway.
///
/// Pure and allocation-free: it reads the bytes OpenSSL hands out in the ClientHello callback, and is
/// tested on byte arrays without sockets.
public struct ClientKeyOffer: Sendable, Equatable {
    /// The client offers TLS 1.3, so TLS 1.3 is what the handshake negotiates.
    public private(set) var offersTLS13 = false
    public private(set) var sentSignatureAlgorithms = false
    /// `ecdsa_secp256r1_sha256` (bit 0), `ecdsa_secp384r1_sha384` (bit 1), `ecdsa_secp521r1_sha512` (bit 2).
    private var ecdsaSchemes: UInt8 = 0
    /// Any `rsa_pss_rsae_sha256/384/512`.
    private var rsaPSS = false
    /// Any `rsa_pkcs1_sha256/384/512`.
    private var rsaPKCS1 = false
    private var sentGroups = false
    /// P-256 (bit 0), P-384 (bit 1), P-521 (bit 2) in `supported_groups`.
    private var groups: UInt8 = 0
    /// A TLS 1.2 suite the server enabled with ECDSA (RSA) authentication.
    private var ecdsaCipher = false
    private var rsaCipher = false

    /// - Parameters:
    ///   - supportedVersions: the `supported_versions` extension body (a 1-byte length, then versions),
    ///     `nil` when absent.
    ///   - signatureAlgorithms: the `signature_algorithms` body (a 2-byte length, then schemes), or `nil`.
    ///   - supportedGroups: the `supported_groups` body (a 2-byte length, then groups), or `nil`.
    ///   - cipherSuites: the offered suites, two bytes each, without a length prefix (as
    ///     `SSL_client_hello_get0_ciphers` gives them).
    ///   - serverSuites: the TLS 1.2 suites the server enabled, by authentication.
    public init(
        supportedVersions: UnsafeBufferPointer<UInt8>?, signatureAlgorithms: UnsafeBufferPointer<UInt8>?,
        supportedGroups: UnsafeBufferPointer<UInt8>?, cipherSuites: UnsafeBufferPointer<UInt8>,
        serverSuites: CipherSuiteAuthentication
    ) {
        if let supportedVersions {
            Self.forEachCode(in: supportedVersions, lengthBytes: 1) { if $0 == 0x0304 { offersTLS13 = true } }
        }
        if let signatureAlgorithms {
            sentSignatureAlgorithms = true
            Self.forEachCode(in: signatureAlgorithms, lengthBytes: 2) { scheme in
                switch scheme {
                case 0x0403: ecdsaSchemes |= 1
                case 0x0503: ecdsaSchemes |= 2
                case 0x0603: ecdsaSchemes |= 4
                case 0x0804, 0x0805, 0x0806: rsaPSS = true
                case 0x0401, 0x0501, 0x0601: rsaPKCS1 = true
                default: break
                }
            }
        }
        if let supportedGroups {
            sentGroups = true
            Self.forEachCode(in: supportedGroups, lengthBytes: 2) { groups |= Self.groupBit($0) }
        }
        var index = 0
        while index + 1 < cipherSuites.count {
            let suite = UInt16(cipherSuites[index]) << 8 | UInt16(cipherSuites[index + 1])
            if serverSuites.ecdsa.contains(suite) { ecdsaCipher = true }
            if serverSuites.rsa.contains(suite) { rsaCipher = true }
            index += 2
        }
    }

    /// Byte-array form, for tests.
    public init(
        supportedVersions: [UInt8]?, signatureAlgorithms: [UInt8]?, supportedGroups: [UInt8]?,
        cipherSuites: [UInt8], serverSuites: CipherSuiteAuthentication
    ) {
        func buffer(_ bytes: [UInt8]?) -> UnsafeBufferPointer<UInt8>? {
            guard let bytes else { return nil }
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = copy.initialize(from: bytes)
            return UnsafeBufferPointer(copy)
        }
        let versions = buffer(supportedVersions)
        let schemes = buffer(signatureAlgorithms)
        let groupList = buffer(supportedGroups)
        let suites = buffer(cipherSuites)!
        defer { [versions, schemes, groupList, suites].forEach { $0?.deallocate() } }
        self.init(
            supportedVersions: versions, signatureAlgorithms: schemes, supportedGroups: groupList,
            cipherSuites: suites, serverSuites: serverSuites)
    }

    /// Whether the client can take an ECDSA certificate whose key is on `group` (a TLS group code).
    public func supportsECDSA(group: UInt16) -> Bool {
        let bit = Self.groupBit(group)
        if offersTLS13 {
            return !sentSignatureAlgorithms || ecdsaSchemes & bit != 0
        }
        return ecdsaCipher && (!sentSignatureAlgorithms || ecdsaSchemes != 0) && (!sentGroups || groups & bit != 0)
    }

    /// Whether the client can take an RSA certificate.
    public var supportsRSA: Bool {
        if offersTLS13 { return !sentSignatureAlgorithms || rsaPSS }
        return rsaCipher && (!sentSignatureAlgorithms || rsaPSS || rsaPKCS1)
    }

    /// ECDSA when the client supports it (it is preferred: smaller and faster), else RSA when the client
    /// supports that; ECDSA again when it supports neither (the handshake fails either way).
    public func choosesECDSA(group: UInt16) -> Bool {
        supportsECDSA(group: group) || !supportsRSA
    }

    /// The bit of P-256, P-384, P-521 in `groups` and `ecdsaSchemes`; 0 for any other group.
    private static func groupBit(_ group: UInt16) -> UInt8 {
        switch group {
        case CertificateKeyType.secp256r1: return 1
        case CertificateKeyType.secp384r1: return 2
        case CertificateKeyType.secp521r1: return 4
        default: return 0
        }
    }

    /// Calls `body` with each 2-byte code of a list that starts with a `lengthBytes`-byte length, as far
    /// as both the length and the bytes go.
    private static func forEachCode(
        in list: UnsafeBufferPointer<UInt8>, lengthBytes: Int, _ body: (UInt16) -> Void
    ) {
        guard list.count >= lengthBytes else { return }
        let declared = lengthBytes == 1 ? Int(list[0]) : Int(list[0]) << 8 | Int(list[1])
        let end = min(list.count, lengthBytes + declared)
        var index = lengthBytes
        while index + 1 < end {
            body(UInt16(list[index]) << 8 | UInt16(list[index + 1]))
            index += 2
        }
    }
}

/// The TLS 1.2 cipher suites a server enabled (their two-byte codes), by the certificate key type that
/// authenticates them: `ECDHE-ECDSA-*` in `ecdsa`, `ECDHE-RSA-*` (and any RSA-authenticated suite a custom
/// `--ciphers` list enables) in `rsa`. Built once per server context.
public struct CipherSuiteAuthentication: Sendable, Equatable {
    public var ecdsa: Set<UInt16>
    public var rsa: Set<UInt16>

    public init(ecdsa: Set<UInt16> = [], rsa: Set<UInt16> = []) {
        self.ecdsa = ecdsa
        self.rsa = rsa
    }
}
