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
    struct Entry: Sendable {
        /// What to read next time (may differ from `loaded.source` when a source changed shape and the
        /// new shape failed to load).
        var source: CertificateSource
        /// The last good material, served; `nil` for a source that never loaded.
        var loaded: LoadedCertificate?
        /// `stat()` of `source.paths` taken just before the last read.
        var signatures: [FileSignature?]
    }

    public let options: CertificateStoreOptions
    /// What the workers serve now.
    public private(set) var snapshot: CertificateSnapshot
    /// Directories whose changes matter: each `--cert-dir`, its secret-mount subdirectories, the
    /// directories of `--cert/--key` files, and the directories symlinked files point into.
    public private(set) var watchDirectories: Set<String> = []

    private var entries: [String: Entry] = [:]
    private var directorySignatures: [String: FileSignature?] = [:]
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
                    Entry(source: sources[index], loaded: loaded, signatures: content.signatures))
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

        let previous = entries
        var next = entries
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
            if !forceRead, let entry = previous[source.name], entry.source == source,
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
        let results = CertificateLoader.inParallel(count: reading.count) { index, decoder in
            Self.readAndParse(reading[index], previous: previous[reading[index].name]?.loaded, decoder: decoder,
                              validity: validity)
        }
        for (index, source) in toRead.enumerated() {
            let name = source.name
            let served = previous[name]?.loaded
            let (signatures, _, result) = results[index]
            switch result {
            case .success(nil):
                next[name] = Entry(source: source, loaded: served, signatures: signatures)
                failures[name] = nil
                outcomes[name] = .unchanged
            case .success(let loaded?):
                next[name] = Entry(source: source, loaded: loaded, signatures: signatures)
                failures[name] = nil
                let serial = loaded.certifiedKey.leaf.serialNumber
                outcomes[name] = served.map { .replaced(oldSerial: $0.certifiedKey.leaf.serialNumber, newSerial: serial) }
                    ?? .added(serial: serial)
            case .failure(let error):
                let reason = error.description
                let first = recordFailure(name, reason)
                next[name] = Entry(source: source, loaded: served, signatures: signatures)
                outcomes[name] = .failed(reason: reason, serving: served?.certifiedKey.leaf.serialNumber,
                                         firstReport: first)
            }
        }

        // 3. Entries that could not become sources: keep whatever they served.
        for problem in inventory.problems {
            guard let name = problem.name else { continue }
            let reason = problem.error.description
            let first = recordFailure(name, reason)
            let served = previous[name]?.loaded
            next[name] = served.map { Entry(source: $0.source, loaded: $0, signatures: previous[name]!.signatures) }
            outcomes[name] = .failed(reason: reason, serving: served?.certifiedKey.leaf.serialNumber, firstReport: first)
        }

        // 4. A directory that cannot be listed says nothing about its sources: keep them.
        for problem in inventory.problems where problem.name == nil {
            let key = "directory:" + (problem.directory ?? "")
            problems.append((problem.error.description, recordFailure(key, problem.error.description)))
        }
        for (name, entry) in previous where outcomes[name] == nil {
            guard let directory = entry.source.directory, unreadable.contains(directory) else { continue }
            next[name] = entry
            if let served = entry.loaded {
                let reason = problems.first { $0.reason.hasPrefix(directory) }?.reason ?? "\(directory): unreadable"
                outcomes[name] = .failed(reason: reason, serving: served.certifiedKey.leaf.serialNumber, firstReport: false)
            }
        }

        // 5. Gone from their directory (or configuration): no longer served.
        for (name, entry) in previous where outcomes[name] == nil {
            next[name] = nil
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
        if outcomes.values.contains(where: \.changesSnapshot) {
            let certificates = next.values.compactMap(\.loaded)
            var refusal: String?
            if certificates.isEmpty {
                refusal = "reload would leave no certificate to serve; still serving the previous \(snapshot.count)"
            } else {
                do {
                    published = try CertificateSnapshot(certificates: certificates, defaultName: options.defaultName)
                } catch {
                    refusal = "\(error); still serving the previous certificates"
                }
            }
            if let refusal {
                problems.append((refusal, recordFailure(Self.snapshotKey, refusal)))
                for (name, outcome) in outcomes where outcome.changesSnapshot {
                    outcomes[name] = .failed(reason: "not applied: \(refusal)",
                                             serving: previous[name]?.loaded?.certifiedKey.leaf.serialNumber,
                                             firstReport: false)
                }
                next = previous
            } else {
                failures[Self.snapshotKey] = nil
            }
        } else {
            failures[Self.snapshotKey] = nil
        }

        entries = next
        self.failures = failures
        self.directorySignatures = directorySignatures
        if let published { snapshot = published }
        watchDirectories = Self.watchDirectories(options: options, inventory: inventory, entries: next)
        let sorted = outcomes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (name: $0.key, outcome: $0.value) }
        return ReloadReport(trigger: trigger, outcomes: sorted, problems: problems, snapshot: published,
                            duration: clock.now - started, sourcesRead: toRead.count,
                            sourcesParsed: results.filter(\.parsed).count)
    }

    /// Reads `source` until stable; `.success(nil)` when it hashes like `previous` (nothing to parse).
    private static func readAndParse(_ source: CertificateSource, previous: LoadedCertificate?,
                                     decoder: PrivateKeyDecoder, validity: ValidityPolicy)
        -> (signatures: [FileSignature?], parsed: Bool, result: Result<LoadedCertificate?, CertificateLoadError>)
    {
        let content: SourceContent
        do {
            content = try SourceContent.read(source, stable: true)
        } catch {
            return (source.paths.map(FileSignature.of), false, .failure(error))
        }
        if let previous, previous.source == source, previous.digest == content.digest {
            return (content.signatures, false, .success(nil))
        }
        do {
            let loaded = try CertificateLoader.parse(source, content: content, decoder: decoder, validity: validity)
            return (content.signatures, true, .success(loaded))
        } catch {
            return (content.signatures, true, .failure(error))
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
        for pair in options.pairs {
            directories.insert(PathName.directory(of: pair.certificatePath))
            directories.insert(PathName.directory(of: pair.keyPath))
        }
        for entry in entries.values {
            for path in entry.source.paths {
                let directory = PathName.directory(of: path)
                directories.insert(directory)
                // A file symlinked out of its directory (`api.pem -> /vault/api.pem`) changes where it
                // points to. Links that stay inside the directory's tree (a Kubernetes secret's `..data`
                // layout) are covered by watching the directory itself: its timestamped subdirectories
                // come and go with every rotation and must not be watched.
                guard let target = PathName.resolved(path), let home = PathName.resolved(directory),
                      !target.hasPrefix(home.hasSuffix("/") ? home : home + "/") else { continue }
                directories.insert(PathName.directory(of: target))
            }
        }
        return directories
    }
}
