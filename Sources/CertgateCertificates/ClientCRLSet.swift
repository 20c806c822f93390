import CertgateTLS

/// The CRLs of one successful `--client-crl` load, each matched to the trusted CA that signed it.
///
/// Validation is pure (no files, no sockets): every CRL in the file must be signed by one of the CAs
/// trusted now (the union of the root pool's generations); a CRL signed by none is a load failure, so a
/// typo'd or foreign CRL never silently leaves clients unchecked. Expired or not-yet-valid CRLs are
/// accepted (the file may be the freshest one there is) but reported, because OpenSSL refuses clients of
/// that issuer until a valid CRL arrives (the strict policy).
public struct ClientCRLSet: Sendable {
    public struct Entry: Sendable {
        public let list: RevocationList
        /// SHA-256 fingerprint (hex) of the trusted CA whose key verifies the CRL.
        public let issuerFingerprint: String
    }

    /// In file order.
    public let entries: [Entry]

    public var lists: [RevocationList] { entries.map(\.list) }

    /// Matches each CRL to the CA that signed it.
    ///
    /// - Throws: a one-line reason (without the path) naming the first CRL no trusted CA signed.
    public init(lists: [RevocationList], trustedCAs: [Certificate]) throws(ClientCRLError) {
        var entries: [Entry] = []
        for (index, list) in lists.enumerated() {
            guard let issuer = trustedCAs.first(where: { list.issuance(by: $0) == .signed }) else {
                if trustedCAs.contains(where: { list.issuance(by: $0) == .signedWithoutCRLSignUsage }) {
                    throw .issuerCannotSignCRLs(index: index + 1, count: lists.count, issuer: list.issuer)
                }
                throw .unknownIssuer(index: index + 1, count: lists.count, issuer: list.issuer)
            }
            entries.append(Entry(list: list, issuerFingerprint: ContentDigest.hex(issuer.sha256Fingerprint)))
        }
        self.entries = entries
    }

    /// The trusted CAs no CRL here is signed by: OpenSSL refuses their clients (`client_crl_unavailable`).
    /// Subjects of CAs that did not sign any CRL of this set, in the order given.
    public func uncovered(_ trustedCAs: [Certificate]) -> [Certificate] {
        let covered = Set(entries.map(\.issuerFingerprint))
        return trustedCAs.filter { !covered.contains(ContentDigest.hex($0.sha256Fingerprint)) }
    }

    /// The CRLs outside their validity window at `now`, with the problem.
    public func unusable(now: Int64) -> [(entry: Entry, problem: String)] {
        entries.compactMap { entry in entry.list.validityProblem(now: now).map { (entry, $0) } }
    }

    /// The latest nextUpdate per issuing CA (fingerprint hex); CRLs without a nextUpdate are left out.
    public var nextUpdateByIssuer: [String: Int64] {
        var result: [String: Int64] = [:]
        for entry in entries {
            guard let next = entry.list.nextUpdate else { continue }
            result[entry.issuerFingerprint] = max(result[entry.issuerFingerprint] ?? Int64.min, next)
        }
        return result
    }
}

/// Why a set of CRLs was refused.
public enum ClientCRLError: Error, Equatable, CustomStringConvertible {
    case unknownIssuer(index: Int, count: Int, issuer: String)
    case issuerCannotSignCRLs(index: Int, count: Int, issuer: String)

    public var description: String {
        switch self {
        case .unknownIssuer(let index, let count, let issuer):
            return "CRL \(index) of \(count) (issuer '\(issuer)') is not signed by any CA trusted from --client-ca"
        case .issuerCannotSignCRLs(let index, let count, let issuer):
            return
                "CRL \(index) of \(count) (issuer '\(issuer)'): the issuing CA's keyUsage does not include cRLSign, so OpenSSL would not use it"
        }
    }
}
