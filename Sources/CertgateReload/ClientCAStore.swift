import CertgateCertificates
import CertgatePosix
import CertgateTLS

/// The client-CA file (`--client-ca`), its bounded rotating root pool and the trust policy built from it.
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

        public init(path: String, verification: ClientVerification, depth: Int, rootsLimit: Int, rootsMaxAge: Duration?,
                    allowList: ClientAllowList = ClientAllowList()) {
            self.allowList = allowList
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
    private var digest: ContentDigest
    private var signature: FileSignature?
    private var failure: SourceFailure?

    /// Start-up: the file must read and hold at least one certificate.
    public init(options: Options) throws(CertificateLoadError) {
        self.options = options
        let (content, members) = try Self.read(options.path)
        var pool = RootPool<Certificate>(limit: options.rootsLimit, maxAge: options.rootsMaxAge?.components.seconds)
        _ = pool.admit(members, now: Timestamp.now)
        self.pool = pool
        self.trust = try Self.makeTrust(pool, options)
        self.digest = content.digest
        self.signature = content.signatures.first ?? nil
    }

    public var watchDirectory: String { PathName.directory(of: options.path) }

    public var nextRetry: ContinuousClock.Instant? { failure?.retryAt }

    public var isFailing: Bool { failure != nil }

    public func hasChanges() -> Bool {
        FileSignature.of(options.path) != signature
    }

    /// Re-reads the file (when its signature changed, it is failing, or `forceRead`); returns the
    /// outcome and, when the trust changed, the new one to serve.
    public func reload(forceRead: Bool, now: ContinuousClock.Instant = .now) -> (Outcome, ClientTrust?) {
        let retired = pool.retireAged(now: Timestamp.now)
        // Generations retired by age change the trust even when the file did not change.
        let unchanged = { () -> (Outcome, ClientTrust?) in
            retired.isEmpty ? (.unchanged, nil) : self.rebuild(.added(evicted: retired.count))
        }
        if !forceRead, failure == nil, !hasChanges() { return unchanged() }
        let content: SourceContent
        let members: [RootPool<Certificate>.Member]
        do {
            (content, members) = try Self.read(options.path, stable: true)
        } catch {
            signature = FileSignature.of(options.path)
            let reason = error.description
            let first = failure?.reason != reason
            failure = SourceFailure.next(after: failure, reason: reason, now: now)
            return (.failed(reason: reason, firstReport: first), retired.isEmpty ? nil : rebuild(.unchanged).1)
        }
        failure = nil
        signature = content.signatures.first ?? nil
        guard content.digest != digest else { return unchanged() }
        digest = content.digest
        guard case .added(let evicted) = pool.admit(members, now: Timestamp.now) else { return unchanged() }
        return rebuild(.added(evicted: evicted.count + retired.count))
    }

    private func rebuild(_ outcome: Outcome) -> (Outcome, ClientTrust?) {
        do {
            trust = try Self.makeTrust(pool, options)
            return (outcome, trust)
        } catch {
            return (.failed(reason: "\(options.path): cannot build the trust store: \(error)", firstReport: true), nil)
        }
    }

    private static func makeTrust(_ pool: RootPool<Certificate>, _ options: Options) throws(CertificateLoadError)
        -> ClientTrust
    {
        do {
            return try ClientTrust(roots: pool.trusted.map(\.root), verification: options.verification,
                                   depth: options.depth, allowList: options.allowList)
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
