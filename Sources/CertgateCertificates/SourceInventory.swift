/// Everything one scan of the configured certificate locations found: the sources to load, what was
/// wrong with the entries that could not become sources, and which directories were listed.
///
/// Start-up treats any problem as fatal (`CertificateSourceScanner.scan`); a reload keeps serving the
/// last good material of a source that has a problem and retries it.
public struct SourceInventory: Sendable, Equatable {
    /// One per certificate name, sorted by name.
    public var sources: [CertificateSource]
    /// In the order found.
    public var problems: [SourceProblem]
    /// Every directory listed: each `--cert-dir`, and each secret-mount subdirectory in it. Changes to
    /// these (entries added, removed or renamed, a `..data` swap) must trigger a new scan.
    public var directories: [String]

    public init(sources: [CertificateSource] = [], problems: [SourceProblem] = [], directories: [String] = []) {
        self.sources = sources
        self.problems = problems
        self.directories = directories
    }

    /// `--cert-dir` directories that could not be listed at all. Sources that came from them are not
    /// known to be gone: a reload keeps them.
    public var unreadableDirectories: Set<String> {
        Set(problems.compactMap { $0.name == nil ? $0.directory : nil })
    }
}

/// An entry that could not become a certificate source (a half pair, a dangling symlink, a duplicate
/// name, or a whole directory that cannot be listed when `name` is `nil`).
public struct SourceProblem: Sendable, Equatable, CustomStringConvertible {
    /// The certificate name the entry would have had; `nil` when a whole directory is unreadable.
    public let name: String?
    /// The `--cert-dir` the entry is in; `nil` for `--cert/--key` pairs.
    public let directory: String?
    public let error: CertificateLoadError

    public init(name: String?, directory: String?, error: CertificateLoadError) {
        self.name = name
        self.directory = directory
        self.error = error
    }

    public var description: String { error.description }
}
