import CertgateCertificates
import CertgatePosix
import CertgateTLS

/// One client-CA file (`--client-ca` or a `per-certificate:` `client-ca`), its bounded rotating root pool,
/// its CRL file and the trust built from them. `ClientTrustPolicies` keeps one per distinct CA file and
/// builds each policy's trust with `makeTrust(for:)`; `trust` is the one of `options` (the first policy
/// naming the file).
///
/// Reloaded with the certificates (same triggers, content hashing, retries): a new bundle whose CAs
/// differ from the current generation enters the pool; the trust is rebuilt from the union of the
/// retained generations. A bundle that does not parse changes nothing. Control thread only.
public final class ClientCAStore {
    public struct Options: Sendable, Equatable {
        public var path: String
        public var verification: ClientVerification
        public var depth: Int
        public var rootsLimit: Int
        public var rootsMaxAge: Duration?
        public var allowList: ClientAllowList
        /// `--client-crl`, `nil` when revocation is not checked.
        public var crlPath: String?

        public init(
            path: String, verification: ClientVerification, depth: Int, rootsLimit: Int, rootsMaxAge: Duration?,
            allowList: ClientAllowList = ClientAllowList(), crlPath: String? = nil
        ) {
            self.allowList = allowList
            self.crlPath = crlPath
            self.path = path
            self.verification = verification
            self.depth = depth
            self.rootsLimit = rootsLimit
            self.rootsMaxAge = rootsMaxAge
        }
    }

    public enum Outcome: Sendable, Equatable {
        case unchanged
        /// A new generation entered; `evicted` generations left the pool.
        case added(evicted: Int)
        case failed(reason: String, firstReport: Bool)
    }

    public let options: Options
    public private(set) var pool: RootPool<Certificate>
    public private(set) var trust: ClientTrust
    /// The `--client-crl` file, `nil` without one.
    public let crl: ClientCRLFile?
    private var digest: ContentDigest
    private var signature: FileSignature?
    private var failure: SourceFailure?
    private let buildTrust: TrustBuilder

    /// How a trust is made from the pool's roots and the CRLs (`ClientTrust.init`; tests make it fail).
    typealias TrustBuilder = (
        _ roots: [Certificate], _ verification: ClientVerification, _ depth: Int,
        _ allowList: ClientAllowList, _ revocationLists: [RevocationList],
        _ identity: String
    ) throws(OpenSSLError) -> ClientTrust

    /// Start-up: the file must read and hold at least one certificate; the CRL file, when given, must
    /// load too (`ClientCRLFile`).
    ///
    /// A configuration reload passes the store that served the same CA file so far as `previous`: its
    /// generations carry over (under the new limit and age), so clients of the previous CA keep working
    /// through a configuration change exactly as through a CA rotation.
    public convenience init(options: Options, previous: ClientCAStore? = nil) throws(CertificateLoadError) {
        try self.init(options: options, previous: previous) {
            roots, verification, depth, allowList, lists, identity
                throws(OpenSSLError) in
            try ClientTrust(
                roots: roots, verification: verification, depth: depth, allowList: allowList,
                revocationLists: lists, identity: identity)
        }
    }

    /// The store with `buildTrust` making its trusts (the public initializer passes `ClientTrust.init`).
    init(options: Options, previous: ClientCAStore? = nil, buildTrust: @escaping TrustBuilder)
        throws(CertificateLoadError)
    {
        self.options = options
        self.buildTrust = buildTrust
        let (content, members) = try Self.read(options.path)
        let now = Timestamp.now
        let maxAge = options.rootsMaxAge?.components.seconds
        var pool = RootPool<Certificate>(limit: options.rootsLimit, maxAge: maxAge)
        if let previous, previous.options.path == options.path {
            pool = previous.pool.resized(limit: options.rootsLimit, maxAge: maxAge, now: now).pool
        }
        _ = pool.admit(members, now: now)
        self.pool = pool
        let crl = try options.crlPath.map { path throws(CertificateLoadError) in
            try ClientCRLFile(path: path, trustedCAs: pool.trusted.map(\.root))
        }
        self.crl = crl
        self.trust = try Self.makeTrust(pool, crl?.set.lists ?? [], options, buildTrust)
        self.digest = content.digest
        self.signature = content.signatures.first ?? nil
    }

    /// The directories of the CA file and the CRL file.
    public var watchDirectories: [String] {
        [PathName.directory(of: options.path)] + (crl.map { [$0.watchDirectory] } ?? [])
    }

    public var nextRetry: ContinuousClock.Instant? { [failure?.retryAt, crl?.nextRetry].compactMap { $0 }.min() }

    public var isFailing: Bool { failure != nil }

    public func hasChanges() -> Bool {
        FileSignature.of(options.path) != signature || crl?.hasChanges() == true
    }

    /// What one reload did to the CA file and the CRL file, and the new trust when it changed.
    public struct Reload {
        public var ca: Outcome
        /// `nil` without `--client-crl`.
        public var crl: ClientCRLFile.Outcome?
        /// The trust to serve from now on; `nil` when it did not change.
        public var trust: ClientTrust?
    }

    /// Re-reads the CA file (when its signature changed, it is failing, or `forceRead`), then the CRL file
    /// the same way, checked against the CAs trusted after the first step. A change of either rebuilds
    /// the trust; a CRL change never adds a pool generation (generations are CA sets only).
    ///
    /// Everything is prepared on copies (the pool, the CRLs, the files' state) and the trust built from
    /// them before anything is committed: when the trust cannot be built, the pool, the CRLs, the trust
    /// and what the store remembers of both files stay as they were, and the attempt is retried
    /// (`nextRetry`).
    public func reload(forceRead: Bool, now: ContinuousClock.Instant = .now) -> Reload {
        var candidate = pool
        let cas = prepareCAs(&candidate, forceRead: forceRead, now: now)
        let crlPending = crl?.prepareReload(forceRead: forceRead, trustedCAs: candidate.trusted.map(\.root), now: now)
        guard cas.poolChanged || crlPending?.outcome == .updated else {
            commit(cas, candidate, crlPending)
            return Reload(ca: cas.outcome, crl: crlPending?.outcome, trust: nil)
        }
        let built: ClientTrust
        do {
            built = try Self.makeTrust(candidate, crlPending?.set.lists ?? [], options, buildTrust)
        } catch {
            let reason = error.description
            let first = failure?.reason != reason
            failure = SourceFailure.next(after: failure, reason: reason, now: now)
            // The new CRLs were not taken either: as far as serving goes, nothing changed.
            let crlOutcome = crlPending?.outcome == .updated ? .unchanged : crlPending?.outcome
            return Reload(ca: .failed(reason: reason, firstReport: first), crl: crlOutcome, trust: nil)
        }
        commit(cas, candidate, crlPending)
        trust = built
        return Reload(ca: cas.outcome, crl: crlPending?.outcome, trust: built)
    }

    /// What re-reading the CA file found: the outcome, whether the candidate pool's trusted set changed,
    /// and the file state to remember once committed.
    private struct PendingCAs {
        var outcome: Outcome
        var poolChanged: Bool
        var digest: ContentDigest
        var signature: FileSignature?
        var failure: SourceFailure?
    }

    /// The CA-file half of `reload`, on `candidate` (a copy of the pool); changes nothing of the store.
    private func prepareCAs(_ candidate: inout RootPool<Certificate>, forceRead: Bool, now: ContinuousClock.Instant)
        -> PendingCAs
    {
        let retired = candidate.retireAged(now: Timestamp.now)
        // Generations retired by age change the trust even when the file did not change.
        var pending = PendingCAs(
            outcome: retired.isEmpty ? .unchanged : .added(evicted: retired.count),
            poolChanged: !retired.isEmpty, digest: digest, signature: signature, failure: failure)
        if !forceRead, failure == nil, FileSignature.of(options.path) == signature { return pending }
        let content: SourceContent
        let members: [RootPool<Certificate>.Member]
        do {
            (content, members) = try Self.read(options.path, stable: true)
        } catch {
            let reason = error.description
            pending.outcome = .failed(reason: reason, firstReport: failure?.reason != reason)
            pending.signature = FileSignature.of(options.path)
            pending.failure = SourceFailure.next(after: failure, reason: reason, now: now)
            return pending
        }
        pending.failure = nil
        pending.signature = content.signatures.first ?? nil
        guard content.digest != digest else { return pending }
        pending.digest = content.digest
        guard case .added(let evicted) = candidate.admit(members, now: Timestamp.now) else { return pending }
        pending.outcome = .added(evicted: evicted.count + retired.count)
        pending.poolChanged = true
        return pending
    }

    private func commit(
        _ cas: PendingCAs, _ candidate: RootPool<Certificate>, _ crlPending: ClientCRLFile.PendingReload?
    ) {
        pool = candidate
        digest = cas.digest
        signature = cas.signature
        failure = cas.failure
        if let crlPending { crl?.commit(crlPending) }
    }

    /// A trust for `policy` (which must name this store's CA file) from the CAs and CRLs in force now.
    public func makeTrust(for policy: ClientPolicy) throws(CertificateLoadError) -> ClientTrust {
        try Self.makeTrust(
            pool, crl?.set.lists ?? [], options, buildTrust,
            verification: policy.verification ?? .optional, depth: policy.depth,
            allowList: policy.allowList, identity: policy.identity)
    }

    private static func makeTrust(
        _ pool: RootPool<Certificate>, _ revocationLists: [RevocationList], _ options: Options,
        _ buildTrust: TrustBuilder, verification: ClientVerification? = nil, depth: Int? = nil,
        allowList: ClientAllowList? = nil, identity: String? = nil
    )
        throws(CertificateLoadError) -> ClientTrust
    {
        let own = ClientPolicy(
            verification: options.verification, caPath: options.path, crlPath: options.crlPath,
            depth: options.depth, allowList: options.allowList)
        do {
            return try buildTrust(
                pool.trusted.map(\.root), verification ?? options.verification, depth ?? options.depth,
                allowList ?? options.allowList, revocationLists, identity ?? own.identity)
        } catch {
            throw .unreadable(FileError(path: options.path, message: "cannot build the trust store: \(error)"))
        }
    }

    private static func read(_ path: String, stable: Bool = false) throws(CertificateLoadError)
        -> (SourceContent, [RootPool<Certificate>.Member])
    {
        let source = CertificateSource(name: "client-ca", certificatePath: path, keyPath: path)
        let content = try SourceContent.read(source, stable: stable)
        let certificates: [Certificate]
        do {
            certificates = try CertifiedKey.certificates(inPEM: content.certificateBytes)
        } catch {
            throw .invalidContent(path: path, error)
        }
        return (content, certificates.map { RootPool.Member(root: $0, fingerprint: $0.sha256Fingerprint) })
    }
}
