import CertgateCertificates
import CertgatePosix
import CertgateTLS

/// Owns what is served: the current immutable snapshot, and for every certificate source the last good
/// material, the file signatures it was read with, and its failure state. Reloads are incremental and
/// transactional.
///
/// - Incremental: a source whose files' `stat()` signatures are unchanged is not read (unless the trigger
///   forces a full read); a source that is read but hashes the same is not parsed. Rotating one of
///   10,000 certificates parses one.
/// - Per-source failure isolation: a source that fails (bad PEM, key mismatch, half-written, expired)
///   keeps serving its last good material and is retried with backoff; the others go live.
/// - Transactional snapshot: the new snapshot is built in full before it replaces the old one; a reload
///   that would leave nothing to serve, or lose the `--default-cert`, changes nothing.
///
/// Blocking file I/O: runs on the control thread (or start-up), never on a worker loop. Not Sendable:
/// one thread owns it.
public final class CertificateStore {
    /// Immutable and a class, so that walking 10,000 of them costs one retain each.
    final class Entry: Sendable {
        /// What to read next time (may differ from `loaded.source` when a source changed shape and the
        /// new shape failed to load).
        let source: CertificateSource
        /// The last good material, served; `nil` for a source that never loaded.
        let loaded: LoadedCertificate?
        /// `stat()` of `source.paths` taken just before the last read.
        let signatures: [FileSignature?]
        /// Where changes to this source's files show up: the directory of each file, plus the directory a
        /// file symlinks to when that lies outside its own directory. Worked out when the source is read.
        let watchDirectories: [String]

        init(
            source: CertificateSource, loaded: LoadedCertificate?, signatures: [FileSignature?],
            watchDirectories: [String]
        ) {
            self.source = source
            self.loaded = loaded
            self.signatures = signatures
            self.watchDirectories = watchDirectories
        }
    }

    public let options: CertificateStoreOptions
    /// What the workers serve now.
    public private(set) var snapshot: CertificateSnapshot
    /// Directories whose changes matter: each `--cert-dir`, its secret-mount subdirectories, the
    /// directories of `--cert/--key` files, and the directories symlinked files point into.
    public private(set) var watchDirectories: Set<String> = []

    private var entries: [String: Entry] = [:]
    private var directorySignatures: [String: FileSignature?] = [:]
    /// What the periodic check walks; `nil` after a reload until a check needs it (building it takes tens
    /// of ms for 10,000 sources: never on the way to a publish).
    private var statList: StatCheckList?
    /// The directories the last scan listed (watched directories are recomputed when they change).
    private var lastInventoryDirectories: [String] = []
    /// By certificate name, `directory:PATH` for an unreadable directory, or `snapshot`.
    private var failures: [String: SourceFailure] = [:]

    /// The failure key of a refused snapshot.
    static let snapshotKey = "snapshot"
    /// The failure keys of unlistable directories: this prefix and the directory.
    static let directoryKeyPrefix = "directory:"

    /// Start-up load: strict. Any problem with any source, an empty result or an unknown default
    /// certificate throws, naming the file or flag.
    public init(options: CertificateStoreOptions) throws(CertificateLoadError) {
        self.options = options
        let (inventory, directorySignatures) = Self.scan(options)
        if let problem = inventory.problems.first { throw problem.error }
        guard !inventory.sources.isEmpty else { throw .noCertificates(searched: options.directories) }
        let sources = inventory.sources
        let validity = ValidityPolicy.current(allowExpired: options.allowExpired)
        let results = CertificateLoader.inParallel(count: sources.count) { index, decoder in
            do throws(CertificateLoadError) {
                let content = try SourceContent.read(sources[index], stable: false, ocsp: true)
                let loaded = try CertificateLoader.parse(
                    sources[index], content: content, decoder: decoder,
                    validity: validity)
                return Result<Entry, CertificateLoadError>.success(
                    Entry(
                        source: sources[index], loaded: loaded, signatures: content.signatures,
                        watchDirectories: Self.watchDirectories(of: sources[index])))
            } catch {
                return .failure(error)
            }
        }
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(results.count)
        for result in results {
            let entry = try result.get()
            entries[entry.source.name] = entry
        }
        snapshot = try CertificateSnapshot(
            certificates: entries.values.compactMap(\.loaded),
            defaultName: options.defaultName)
        self.entries = entries
        self.directorySignatures = directorySignatures
        self.watchDirectories = Self.watchDirectories(options: options, inventory: inventory, entries: entries)
        self.lastInventoryDirectories = inventory.directories
    }

    /// Serves `trusts` from now on (a client-CA or CRL reload): returns the new snapshot to publish.
    public func replaceClientTrusts(_ trusts: ClientTrustTable) -> CertificateSnapshot {
        snapshot = CertificateSnapshot(snapshot, clientTrusts: trusts)
        return snapshot
    }

    /// Sources that are failing now (names, plus `directory:PATH` for unreadable directories).
    public var failingCount: Int { failures.count }

    /// When the earliest failed source is due for another attempt, if any is failing.
    public var nextRetry: ContinuousClock.Instant? {
        failures.values.map(\.retryAt).min()
    }

    /// Whether a `stat()` of every known directory and source file differs from what the last reload saw:
    /// a file replaced, rewritten or removed, or an entry added to or removed from a directory. Cheap
    /// (no reads, no allocation); the periodic check calls it, in slices, and reloads when it says yes.
    public func hasChanges() -> Bool { checkList().changed() }

    /// How many paths `hasChanges()` stat()s; `hasChanges(part:of:)` checks one slice of them.
    public var statCheckCount: Int { checkList().count }
    public func hasChanges(part: Int, of parts: Int) -> Bool { checkList().changed(part: part, of: parts) }

    /// Re-reads what may have changed and publishes nothing itself: the caller publishes
    /// `report.snapshot` when it is not `nil` (it is already `self.snapshot` by then).
    ///
    /// - Parameter forceRead: read every source even where `stat()` says nothing changed (SIGHUP,
    ///   `POST /reload`, `--reload-interval`: explicit requests must catch what change detection cannot
    ///   see). Content hashes still decide what is parsed.
    public func reload(trigger: ReloadTrigger, forceRead: Bool, now: ContinuousClock.Instant = .now) -> ReloadReport {
        let clock = ContinuousClock()
        let started = clock.now
        let (inventory, directorySignatures) = Self.scan(options)
        let unreadable = inventory.unreadableDirectories
        var delta = ReloadDelta(failures: failures, now: now)
        let toRead = sourcesToRead(inventory.sources, forceRead: forceRead, into: &delta)
        let parsed = readChanged(toRead, into: &delta)
        keepServingUnbuildableSources(inventory.problems, into: &delta)
        recordUnlistableDirectories(inventory.problems, into: &delta)
        removeVanishedSources(unreadable: unreadable, into: &delta)
        delta.endResolvedFailures(unreadable: unreadable)
        let decision = decideSnapshot(&delta)
        apply(delta, decision, inventory: inventory, directorySignatures: directorySignatures)
        return ReloadReport(
            trigger: trigger, outcomes: delta.sortedOutcomes, problems: delta.problems,
            snapshot: decision.published, duration: clock.now - started, sourcesRead: toRead.count,
            sourcesParsed: parsed)
    }

    /// Lists the configured directories and pairs; also `stat()`s the directories, before listing them so
    /// that a change during the listing shows up at the next check.
    private static func scan(_ options: CertificateStoreOptions)
        -> (inventory: SourceInventory, directorySignatures: [String: FileSignature?])
    {
        var directorySignatures = signatures(of: options.directories)
        var inventory = CertificateSourceScanner.inventory(directories: options.directories, pairs: options.pairs)
        inventory.sources = inventory.sources.map { $0.withOCSPDirectory(options.ocspDirectory) }
        directorySignatures.merge(signatures(of: inventory.directories)) { old, _ in old }
        return (inventory, directorySignatures)
    }

    /// Reload step 1: sources whose files look untouched (same shape, loaded, not failing, same `stat()`
    /// signatures) need no read and are `unchanged`; returns the others. `forceRead` reads them all.
    private func sourcesToRead(
        _ sources: [CertificateSource], forceRead: Bool,
        into delta: inout ReloadDelta
    ) -> [CertificateSource] {
        var toRead: [CertificateSource] = []
        for source in sources {
            if !forceRead, let entry = entries[source.name], entry.source == source,
                entry.loaded != nil, failures[source.name] == nil,
                !entry.signatures.prefix(source.paths.count).contains(nil),
                source.signaturePaths.map(FileSignature.of) == entry.signatures
            {
                delta.outcomes[source.name] = .unchanged
                continue
            }
            toRead.append(source)
        }
        return toRead
    }

    /// Reload step 2: reads each source until stable, compares digests and parses only what changed, in
    /// parallel. A source that fails keeps serving what it served. Returns how many were parsed.
    private func readChanged(_ reading: [CertificateSource], into delta: inout ReloadDelta) -> Int {
        let validity = ValidityPolicy.current(allowExpired: options.allowExpired)
        let served = reading.map { entries[$0.name]?.loaded }
        let results = CertificateLoader.inParallel(count: reading.count) { index, decoder in
            Self.readAndParse(reading[index], previous: served[index], decoder: decoder, validity: validity)
        }
        for (index, source) in reading.enumerated() {
            let name = source.name
            let served = served[index]
            let result = results[index]
            let entry = { (loaded: LoadedCertificate?) in
                Entry(
                    source: source, loaded: loaded, signatures: result.signatures,
                    watchDirectories: result.watchDirectories)
            }
            switch result.result {
            case .success(nil):
                delta.updated[name] = entry(served)
                delta.failures[name] = nil
                delta.outcomes[name] = .unchanged
            case .success(let loaded?):
                delta.updated[name] = entry(loaded)
                delta.failures[name] = nil
                let serial = loaded.certifiedKey.leaf.serialNumber
                delta.outcomes[name] =
                    served.map {
                        .replaced(oldSerial: $0.certifiedKey.leaf.serialNumber, newSerial: serial)
                    } ?? .added(serial: serial)
            case .failure(let error):
                let reason = error.description
                let first = delta.recordFailure(name, reason)
                delta.updated[name] = entry(served)
                delta.outcomes[name] = .failed(
                    reason: reason, serving: served?.certifiedKey.leaf.serialNumber,
                    firstReport: first)
            }
        }
        return results.filter(\.parsed).count
    }

    /// Reload step 3: entries that could not become sources (a half pair, a dangling link) fail, and keep
    /// serving whatever they served.
    private func keepServingUnbuildableSources(_ problems: [SourceProblem], into delta: inout ReloadDelta) {
        for problem in problems {
            guard let name = problem.name else { continue }
            let reason = problem.error.description
            let first = delta.recordFailure(name, reason)
            let previous = entries[name]
            if let previous, let served = previous.loaded {
                // Signatures as they are now (a removed key, a dangling link), so that the stat() check
                // does not see this same state as a new change every time; the retry timer re-tries it.
                delta.updated[name] = Entry(
                    source: served.source, loaded: served,
                    signatures: served.source.signaturePaths.map(FileSignature.of),
                    watchDirectories: previous.watchDirectories)
            } else {
                delta.updated[name] = nil
                delta.deleted.insert(name)
            }
            delta.outcomes[name] = .failed(
                reason: reason, serving: previous?.loaded?.certifiedKey.leaf.serialNumber,
                firstReport: first)
        }
    }

    /// Reload step 4: a directory that cannot be listed is a problem of its own (`directory:PATH`); it
    /// says nothing about its sources, which step 5 keeps.
    private func recordUnlistableDirectories(_ problems: [SourceProblem], into delta: inout ReloadDelta) {
        for problem in problems where problem.name == nil {
            let key = Self.directoryKeyPrefix + (problem.directory ?? "")
            delta.problems.append((problem.error.description, delta.recordFailure(key, problem.error.description)))
        }
    }

    /// Reload step 5: every entry not seen this time is gone (from its directory, or from the
    /// configuration), unless its directory could not be listed: then it keeps serving, reported as failed.
    private func removeVanishedSources(unreadable: Set<String>, into delta: inout ReloadDelta) {
        for (name, entry) in entries where delta.outcomes[name] == nil {
            if let directory = entry.source.directory, unreadable.contains(directory) {
                if let served = entry.loaded {
                    let reason =
                        delta.problems.first { $0.reason.hasPrefix(directory) }?.reason
                        ?? "\(directory): unreadable"
                    delta.outcomes[name] = .failed(
                        reason: reason, serving: served.certifiedKey.leaf.serialNumber,
                        firstReport: false)
                }
                continue
            }
            delta.deleted.insert(name)
            if let served = entry.loaded {
                delta.outcomes[name] = .removed(serial: served.certifiedKey.leaf.serialNumber)
            }
        }
    }

    /// What the snapshot step decided.
    private enum SnapshotDecision {
        /// Nothing served changed.
        case unchanged
        /// A complete new snapshot, to serve.
        case publish(CertificateSnapshot)
        /// The changes would leave nothing to serve, or lose the default certificate: none is applied.
        case refused

        var published: CertificateSnapshot? {
            if case .publish(let snapshot) = self { snapshot } else { nil }
        }

        var isRefused: Bool {
            if case .refused = self { true } else { false }
        }
    }

    /// Reload step 6: builds a new snapshot in full from what is served plus the delta, when anything
    /// served changed, or refuses it all: then every change is reported as `not applied` and the refusal
    /// is a problem (failure key `snapshot`) until a reload succeeds.
    private func decideSnapshot(_ delta: inout ReloadDelta) -> SnapshotDecision {
        guard delta.outcomes.values.contains(where: \.changesSnapshot) else {
            delta.failures[Self.snapshotKey] = nil
            return .unchanged
        }
        var certificates: [LoadedCertificate] = []
        certificates.reserveCapacity(entries.count + delta.updated.count)
        for (name, entry) in entries where delta.updated[name] == nil && !delta.deleted.contains(name) {
            if let loaded = entry.loaded { certificates.append(loaded) }
        }
        for entry in delta.updated.values {
            if let loaded = entry.loaded { certificates.append(loaded) }
        }
        let refusal: String
        if certificates.isEmpty {
            refusal = "reload would leave no certificate to serve; still serving the previous \(snapshot.count)"
        } else {
            do {
                let published = try CertificateSnapshot(
                    certificates: certificates, defaultName: options.defaultName,
                    clientTrusts: snapshot.clientTrusts)
                delta.failures[Self.snapshotKey] = nil
                return .publish(published)
            } catch {
                refusal = "\(error); still serving the previous certificates"
            }
        }
        delta.problems.append((refusal, delta.recordFailure(Self.snapshotKey, refusal)))
        for (name, outcome) in delta.outcomes where outcome.changesSnapshot {
            delta.outcomes[name] = .failed(
                reason: "not applied: \(refusal)",
                serving: entries[name]?.loaded?.certifiedKey.leaf.serialNumber,
                firstReport: false)
        }
        return .refused
    }

    /// Reload step 7: makes the delta the store's state (the entries only when the snapshot was not
    /// refused; failures and signatures always), and works out the watched directories again when the
    /// set of sources or where their files live changed.
    private func apply(
        _ delta: ReloadDelta, _ decision: SnapshotDecision, inventory: SourceInventory,
        directorySignatures: [String: FileSignature?]
    ) {
        let watchedMoved =
            !delta.deleted.isEmpty || inventory.directories != lastInventoryDirectories
            || delta.updated.contains { name, entry in
                entries[name].map { $0.watchDirectories != entry.watchDirectories } ?? true
            }
        if !decision.isRefused {
            for name in delta.deleted { entries[name] = nil }
            for (name, entry) in delta.updated { entries[name] = entry }
        }
        failures = delta.failures
        self.directorySignatures = directorySignatures
        if let published = decision.published { snapshot = published }
        if watchedMoved {
            watchDirectories = Self.watchDirectories(options: options, inventory: inventory, entries: entries)
            lastInventoryDirectories = inventory.directories
        }
        statList = nil
    }

    private func checkList() -> StatCheckList {
        let list = statList ?? StatCheckList(directories: directorySignatures, entries: entries.values)
        statList = list
        return list
    }

    /// Reads `source` until stable; `.success(nil)` when it hashes like `previous` (nothing to parse).
    private static func readAndParse(
        _ source: CertificateSource, previous: LoadedCertificate?,
        decoder: PrivateKeyDecoder, validity: ValidityPolicy
    )
        -> (
            signatures: [FileSignature?], watchDirectories: [String], parsed: Bool,
            result: Result<LoadedCertificate?, CertificateLoadError>
        )
    {
        let directories = watchDirectories(of: source)
        let content: SourceContent
        do {
            content = try SourceContent.read(source, stable: true, ocsp: true)
        } catch {
            return (source.signaturePaths.map(FileSignature.of), directories, false, .failure(error))
        }
        if let previous, previous.source == source, previous.digest == content.digest {
            return (content.signatures, directories, false, .success(nil))
        }
        do {
            let loaded = try CertificateLoader.parse(
                source, content: content, decoder: decoder, validity: validity, previous: previous)
            return (content.signatures, directories, true, .success(loaded))
        } catch {
            return (content.signatures, directories, true, .failure(error))
        }
    }

    private static func signatures(of directories: [String]) -> [String: FileSignature?] {
        var result: [String: FileSignature?] = [:]
        for directory in directories where result[directory] == nil {
            result[directory] = .some(FileSignature.of(directory))
        }
        return result
    }

    private static func watchDirectories(
        options: CertificateStoreOptions, inventory: SourceInventory,
        entries: [String: Entry]
    ) -> Set<String> {
        var directories = Set(options.directories)
        directories.formUnion(inventory.directories)
        // A `--cert-dir` that is a symlink (`current -> releases/7`) is repointed in its parent directory.
        for directory in options.directories where PathName.isSymbolicLink(directory) {
            directories.insert(PathName.directory(of: directory))
        }
        for pair in options.pairs {
            directories.insert(PathName.directory(of: pair.certificatePath))
            directories.insert(PathName.directory(of: pair.keyPath))
        }
        for entry in entries.values {
            for directory in entry.watchDirectories { directories.insert(directory) }
        }
        return directories
    }

    /// The directory of each of the source's files, and for a file symlinked out of its directory
    /// (`api.pem -> /vault/api.pem`), the directory it points into. Links that stay inside the
    /// directory's tree (a Kubernetes secret's `..data` layout) are covered by watching the directory
    /// itself: its timestamped subdirectories come and go with every rotation and must not be watched.
    static func watchDirectories(of source: CertificateSource) -> [String] {
        var directories: [String] = []
        for path in source.signaturePaths {
            let directory = PathName.directory(of: path)
            if !directories.contains(directory) { directories.append(directory) }
            guard PathName.isSymbolicLink(path), let target = PathName.resolved(path),
                let home = PathName.resolved(directory),
                !target.hasPrefix(home.hasSuffix("/") ? home : home + "/")
            else { continue }
            let outside = PathName.directory(of: target)
            if !directories.contains(outside) { directories.append(outside) }
        }
        return directories
    }
}
