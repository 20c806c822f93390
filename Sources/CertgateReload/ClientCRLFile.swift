import CertgateCertificates
import CertgatePosix
import CertgateTLS

/// The `--client-crl` file: its CRLs, checked against the CAs trusted now, and the change detection and
/// retry state of the file (same content hashing, stable reads and backoff as the CA file).
///
/// A load that fails (unreadable, garbage, no CRL, a CRL no trusted CA signed) changes nothing: the
/// previous CRLs stay in force. Control thread only.
public final class ClientCRLFile {
    public enum Outcome: Sendable, Equatable {
        /// Same content as before (or not re-read).
        case unchanged
        /// New CRLs were loaded; the trust must be rebuilt.
        case updated
        case failed(reason: String, firstReport: Bool)
    }

    public let path: String
    public private(set) var set: ClientCRLSet
    private var digest: ContentDigest
    private var signature: FileSignature?
    private var failure: SourceFailure?

    /// Start-up: the file must read, hold at least one CRL, and every CRL must be signed by a trusted CA.
    public init(path: String, trustedCAs: [Certificate]) throws(CertificateLoadError) {
        self.path = path
        let (content, set) = try Self.read(path, trustedCAs: trustedCAs, stable: false)
        self.set = set
        self.digest = content.digest
        self.signature = content.signatures.first ?? nil
    }

    public var watchDirectory: String { PathName.directory(of: path) }

    public var nextRetry: ContinuousClock.Instant? { failure?.retryAt }

    public func hasChanges() -> Bool { FileSignature.of(path) != signature }

    /// Re-reads the file when its signature changed, it is failing, or `forceRead`, and takes the result.
    public func reload(forceRead: Bool, trustedCAs: [Certificate], now: ContinuousClock.Instant = .now) -> Outcome {
        let pending = prepareReload(forceRead: forceRead, trustedCAs: trustedCAs, now: now)
        commit(pending)
        return pending.outcome
    }

    /// What a re-read found, not yet taken: `ClientCAStore` builds the new trust from it first and only
    /// then commits it, so a trust that cannot be built leaves the file's state as it was.
    public struct PendingReload {
        public let outcome: Outcome
        /// The CRLs to serve once committed (the current ones unless `.updated`).
        public let set: ClientCRLSet
        fileprivate let digest: ContentDigest
        fileprivate let signature: FileSignature?
        fileprivate let failure: SourceFailure?
    }

    /// Re-reads the file when its signature changed, it is failing, or `forceRead`; changes nothing.
    public func prepareReload(forceRead: Bool, trustedCAs: [Certificate], now: ContinuousClock.Instant = .now)
        -> PendingReload
    {
        let unchanged = PendingReload(
            outcome: .unchanged, set: set, digest: digest, signature: signature, failure: failure)
        if !forceRead, failure == nil, !hasChanges() { return unchanged }
        let content: SourceContent
        let loaded: ClientCRLSet
        do {
            (content, loaded) = try Self.read(path, trustedCAs: trustedCAs, stable: true)
        } catch {
            let reason = error.description
            return PendingReload(
                outcome: .failed(reason: reason, firstReport: failure?.reason != reason), set: set,
                digest: digest, signature: FileSignature.of(path),
                failure: SourceFailure.next(after: failure, reason: reason, now: now))
        }
        let signature = content.signatures.first ?? nil
        guard content.digest != digest else {
            return PendingReload(outcome: .unchanged, set: set, digest: digest, signature: signature, failure: nil)
        }
        return PendingReload(outcome: .updated, set: loaded, digest: content.digest, signature: signature, failure: nil)
    }

    /// Takes what `prepareReload` found.
    public func commit(_ pending: PendingReload) {
        set = pending.set
        digest = pending.digest
        signature = pending.signature
        failure = pending.failure
    }

    static func read(_ path: String, trustedCAs: [Certificate], stable: Bool) throws(CertificateLoadError)
        -> (SourceContent, ClientCRLSet)
    {
        let source = CertificateSource(name: "client-crl", certificatePath: path, keyPath: path)
        let content = try SourceContent.read(source, stable: stable)
        do {
            let lists = try RevocationList.revocationLists(inPEM: content.certificateBytes)
            return (content, try ClientCRLSet(lists: lists, trustedCAs: trustedCAs))
        } catch let error as RevocationListParseError {
            throw .unreadable(FileError(path: path, message: error.description))
        } catch let error as ClientCRLError {
            throw .unreadable(FileError(path: path, message: error.description))
        } catch {
            throw .unreadable(FileError(path: path, message: "\(error)"))
        }
    }
}
