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

        init(source: CertificateSource, loaded: LoadedCertificate?, signatures: [FileSignature?],
             watchDirectories: [String]) {
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
    /// The directories the last scan listed (watched directories are recomputed when they change).
    private var lastInventoryDirectories: [String] = []
    /// By certificate name, `directory:PATH` for an unreadable directory, or `snapshot`.
    private var failures: [String: SourceFailure] = [:]

    private static let snapshotKey = "snapshot"

    /// Start-up load: strict. Any problem with any source, an empty result or an unknown default
    /// certificate throws, naming the file or flag.
    public init(options: CertificateStoreOptions) throws(CertificateLoadError) {
        self.options = options
        let directorySignatures = Self.signatures(of: options.directories)
        let inventory = CertificateSourceScanner.inventory(directories: options.directories, pairs: options.pairs)
        if let problem = inventory.problems.first { throw problem.error }
        guard !inventory.sources.isEmpty else { throw .noCertificates(searched: options.directories) }
        let sources = inventory.sources
        let validity = ValidityPolicy.current(allowExpired: options.allowExpired)
        let results = CertificateLoader.inParallel(count: sources.count) { index, decoder in
            do throws(CertificateLoadError) {
                let content = try SourceContent.read(sources[index], stable: false)
                let loaded = try CertificateLoader.parse(sources[index], content: content, decoder: decoder,
                                                         validity: validity)
                return Result<Entry, CertificateLoadError>.success(
                    Entry(source: sources[index], loaded: loaded, signatures: content.signatures,
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
        snapshot = try CertificateSnapshot(certificates: entries.values.compactMap(\.loaded),
                                           defaultName: options.defaultName)
        self.entries = entries
        self.directorySignatures = directorySignatures.merging(Self.signatures(of: inventory.directories)) { old, _ in old }
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
    /// (no reads); the periodic check calls it and reloads when it says yes.
    public func hasChanges() -> Bool {
        for (directory, signature) in directorySignatures where FileSignature.of(directory) != signature {
            return true
        }
        for entry in entries.values where entry.source.paths.map(FileSignature.of) != entry.signatures {
            return true
        }
        return false
    }

    /// Re-reads what may have changed and publishes nothing itself: the caller publishes
    /// `report.snapshot` when it is not `nil` (it is already `self.snapshot` by then).
    ///
    /// - Parameter forceRead: read every source even where `stat()` says nothing changed (SIGHUP,
    ///   `POST /reload`, `--reload-interval`: explicit requests must catch what change detection cannot
    ///   see). Content hashes still decide what is parsed.
    public func reload(trigger: ReloadTrigger, forceRead: Bool, now: ContinuousClock.Instant = .now) -> ReloadReport {
        let clock = ContinuousClock()
        let started = clock.now
        var directorySignatures = Self.signatures(of: options.directories)
        let inventory = CertificateSourceScanner.inventory(directories: options.directories, pairs: options.pairs)
        directorySignatures.merge(Self.signatures(of: inventory.directories)) { old, _ in old }
        let unreadable = inventory.unreadableDirectories

        // Changes are collected as a delta over `entries` and applied at the end, so that a reload
        // touching one source of 10,000 copies nothing and a refused reload leaves `entries` as it was.
        var updated: [String: Entry] = [:]
        var deleted = Set<String>()
        var failures = self.failures
        var outcomes: [String: SourceOutcome] = [:]
        var problems: [(reason: String, firstReport: Bool)] = []
        func recordFailure(_ key: String, _ reason: String) -> Bool {
            let earlier = self.failures[key]
            failures[key] = SourceFailure.next(after: earlier, reason: reason, now: now)
            return earlier?.reason != reason
        }

        // 1. Sources whose files look untouched need no read.
        var toRead: [CertificateSource] = []
        for source in inventory.sources {
            if !forceRead, let entry = entries[source.name], entry.source == source,
               entry.loaded != nil, self.failures[source.name] == nil, !entry.signatures.contains(nil),
               source.paths.map(FileSignature.of) == entry.signatures
            {
                outcomes[source.name] = .unchanged
                continue
            }
            toRead.append(source)
        }

        // 2. Read until stable, compare digests, parse only what changed.
        let validity = ValidityPolicy.current(allowExpired: options.allowExpired)
        let reading = toRead
        let served = reading.map { entries[$0.name]?.loaded }
        let results = CertificateLoader.inParallel(count: reading.count) { index, decoder in
            Self.readAndParse(reading[index], previous: served[index], decoder: decoder, validity: validity)
        }
        for (index, source) in reading.enumerated() {
            let name = source.name
            let served = served[index]
            let result = results[index]
            let entry = { (loaded: LoadedCertificate?) in
                Entry(source: source, loaded: loaded, signatures: result.signatures,
                      watchDirectories: result.watchDirectories)
            }
            switch result.result {
            case .success(nil):
                updated[name] = entry(served)
                failures[name] = nil
                outcomes[name] = .unchanged
            case .success(let loaded?):
                updated[name] = entry(loaded)
                failures[name] = nil
                let serial = loaded.certifiedKey.leaf.serialNumber
                outcomes[name] = served.map { .replaced(oldSerial: $0.certifiedKey.leaf.serialNumber, newSerial: serial) }
                    ?? .added(serial: serial)
            case .failure(let error):
                let reason = error.description
                let first = recordFailure(name, reason)
                updated[name] = entry(served)
                outcomes[name] = .failed(reason: reason, serving: served?.certifiedKey.leaf.serialNumber,
                                         firstReport: first)
            }
        }

        // 3. Entries that could not become sources: keep whatever they served.
        for problem in inventory.problems {
            guard let name = problem.name else { continue }
            let reason = problem.error.description
            let first = recordFailure(name, reason)
            let previous = entries[name]
            if let previous, let served = previous.loaded {
                // Signatures as they are now (a removed key, a dangling link), so that the stat() check
                // does not see this same state as a new change every time; the retry timer re-tries it.
                updated[name] = Entry(source: served.source, loaded: served,
                                      signatures: served.source.paths.map(FileSignature.of),
                                      watchDirectories: previous.watchDirectories)
            } else {
                updated[name] = nil
                deleted.insert(name)
            }
            outcomes[name] = .failed(reason: reason, serving: previous?.loaded?.certifiedKey.leaf.serialNumber,
                                     firstReport: first)
        }

        // 4. A directory that cannot be listed says nothing about its sources: keep them.
        for problem in inventory.problems where problem.name == nil {
            let key = "directory:" + (problem.directory ?? "")
            problems.append((problem.error.description, recordFailure(key, problem.error.description)))
        }
        // 5. Everything else not seen this time is gone (from its directory, or from the configuration).
        for (name, entry) in entries where outcomes[name] == nil {
            if let directory = entry.source.directory, unreadable.contains(directory) {
                if let served = entry.loaded {
                    let reason = problems.first { $0.reason.hasPrefix(directory) }?.reason ?? "\(directory): unreadable"
                    outcomes[name] = .failed(reason: reason, serving: served.certifiedKey.leaf.serialNumber,
                                             firstReport: false)
                }
                continue
            }
            deleted.insert(name)
            if let served = entry.loaded {
                outcomes[name] = .removed(serial: served.certifiedKey.leaf.serialNumber)
            }
        }

        // Failures of sources that no longer exist, or directories readable again, are over.
        for key in failures.keys {
            if key == Self.snapshotKey { continue }
            if key.hasPrefix("directory:") {
                if !unreadable.contains(String(key.dropFirst("directory:".count))) { failures[key] = nil }
            } else if case .failed? = outcomes[key] {
                continue
            } else {
                failures[key] = nil
            }
        }

        // 6. A new snapshot, in full, or nothing.
        var published: CertificateSnapshot?
        var refused = false
        if outcomes.values.contains(where: \.changesSnapshot) {
            var certificates: [LoadedCertificate] = []
            certificates.reserveCapacity(entries.count + updated.count)
            for (name, entry) in entries where updated[name] == nil && !deleted.contains(name) {
                if let loaded = entry.loaded { certificates.append(loaded) }
            }
            for entry in updated.values {
                if let loaded = entry.loaded { certificates.append(loaded) }
            }
            var refusal: String?
            if certificates.isEmpty {
                refusal = "reload would leave no certificate to serve; still serving the previous \(snapshot.count)"
            } else {
                do {
                    published = try CertificateSnapshot(certificates: certificates, defaultName: options.defaultName,
                                                        clientTrusts: snapshot.clientTrusts)
                } catch {
                    refusal = "\(error); still serving the previous certificates"
                }
            }
            if let refusal {
                refused = true
                problems.append((refusal, recordFailure(Self.snapshotKey, refusal)))
                for (name, outcome) in outcomes where outcome.changesSnapshot {
                    outcomes[name] = .failed(reason: "not applied: \(refusal)",
                                             serving: entries[name]?.loaded?.certifiedKey.leaf.serialNumber,
                                             firstReport: false)
                }
            } else {
                failures[Self.snapshotKey] = nil
            }
        } else {
            failures[Self.snapshotKey] = nil
        }

        // Watched directories change only with the set of sources or where their files live.
        let watchedMoved = !deleted.isEmpty || inventory.directories != lastInventoryDirectories
            || updated.contains { name, entry in entries[name].map { $0.watchDirectories != entry.watchDirectories } ?? true }
        if !refused {
            for name in deleted { entries[name] = nil }
            for (name, entry) in updated { entries[name] = entry }
        }
        self.failures = failures
        self.directorySignatures = directorySignatures
        if let published { snapshot = published }
        if watchedMoved {
            watchDirectories = Self.watchDirectories(options: options, inventory: inventory, entries: entries)
            lastInventoryDirectories = inventory.directories
        }
        let sorted = outcomes.keys.sorted { $0.bytewiseLess($1) }.map { (name: $0, outcome: outcomes[$0]!) }
        return ReloadReport(trigger: trigger, outcomes: sorted, problems: problems, snapshot: published,
                            duration: clock.now - started, sourcesRead: toRead.count,
                            sourcesParsed: results.filter(\.parsed).count)
    }

    /// Reads `source` until stable; `.success(nil)` when it hashes like `previous` (nothing to parse).
    private static func readAndParse(_ source: CertificateSource, previous: LoadedCertificate?,
                                     decoder: PrivateKeyDecoder, validity: ValidityPolicy)
        -> (signatures: [FileSignature?], watchDirectories: [String], parsed: Bool,
            result: Result<LoadedCertificate?, CertificateLoadError>)
    {
        let directories = watchDirectories(of: source)
        let content: SourceContent
        do {
            content = try SourceContent.read(source, stable: true)
        } catch {
            return (source.paths.map(FileSignature.of), directories, false, .failure(error))
        }
        if let previous, previous.source == source, previous.digest == content.digest {
            return (content.signatures, directories, false, .success(nil))
        }
        do {
            let loaded = try CertificateLoader.parse(source, content: content, decoder: decoder, validity: validity)
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

    private static func watchDirectories(options: CertificateStoreOptions, inventory: SourceInventory,
                                         entries: [String: Entry]) -> Set<String> {
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
        for path in source.paths {
            let directory = PathName.directory(of: path)
            if !directories.contains(directory) { directories.append(directory) }
            guard PathName.isSymbolicLink(path), let target = PathName.resolved(path),
                  let home = PathName.resolved(directory),
                  !target.hasPrefix(home.hasSuffix("/") ? home : home + "/") else { continue }
            let outside = PathName.directory(of: target)
            if !directories.contains(outside) { directories.append(outside) }
        }
        return directories
    }
}
