import CertgateConfig
import CertgatePosix

/// Turns `--cert-dir` directories and `--cert/--key` pairs into named certificate sources.
///
/// In a directory: every `NAME.pem` (chain and key in one file), every `NAME.crt` + `NAME.key` pair, and
/// every subdirectory `NAME/` holding `tls.crt` + `tls.key` (a Kubernetes secret mount; its `..data`
/// symlinks are followed). Entries starting with `.` are skipped (that hides the secret's `..data` and
/// timestamped directories, editors' swap files and the like); files with other extensions are ignored.
/// A half pair (`NAME.crt` without `NAME.key`) is an error rather than silently skipped, except `ca.crt`,
/// which Kubernetes TLS secrets carry beside `tls.crt` and `tls.key` (a secret mounted directly as a
/// certificate directory then serves one certificate named `tls`).
public enum CertificateSourceScanner {
    /// Start-up semantics: every entry must be usable and there must be at least one certificate; the
    /// first problem is thrown.
    public static func scan(directories: [String], pairs: [CertificatePair]) throws(CertificateLoadError)
        -> [CertificateSource]
    {
        let found = inventory(directories: directories, pairs: pairs)
        if let problem = found.problems.first { throw problem.error }
        guard !found.sources.isEmpty else { throw .noCertificates(searched: directories) }
        return found.sources
    }

    /// Reload semantics: everything that could be found, and separately what is wrong. Never throws;
    /// an empty result is for the caller to judge.
    public static func inventory(directories: [String], pairs: [CertificatePair]) -> SourceInventory {
        var found = SourceInventory()
        var byName: [String: CertificateSource] = [:]
        var ambiguous = Set<String>()
        func add(_ source: CertificateSource) {
            if let existing = byName[source.name] {
                found.problems.append(
                    SourceProblem(
                        name: source.name, directory: source.directory,
                        error: .duplicateName(
                            source.name, first: existing.certificatePath, second: source.certificatePath)
                    ))
                ambiguous.insert(source.name)
                return
            }
            byName[source.name] = source
        }
        for directory in directories {
            var listed: [CertificateSource] = []
            scan(directory: directory, into: &found, sources: &listed)
            listed.forEach(add)
        }
        for pair in pairs {
            add(
                CertificateSource(
                    name: stem(of: pair.certificatePath), certificatePath: pair.certificatePath,
                    keyPath: pair.keyPath))
        }
        // A name claimed twice is served by neither until the clash is resolved: which one the user
        // meant is not ours to guess.
        for name in ambiguous { byName[name] = nil }
        // Usually one directory, listed in order already: sort names, not whole sources.
        found.sources = byName.keys.sorted { $0.bytewiseLess($1) }.map { byName[$0]! }
        return found
    }

    /// Lists one `--cert-dir`: sources go to `sources`, problems and listed directories to `found`.
    static func scan(directory: String, into found: inout SourceInventory, sources: inout [CertificateSource]) {
        func add(_ source: CertificateSource) { sources.append(source) }
        func problem(_ name: String?, _ error: CertificateLoadError) {
            found.problems.append(SourceProblem(name: name, directory: directory, error: error))
        }
        switch FileSystem.kind(of: directory) {
        case .directory: break
        case .missing:
            do {
                _ = try FileSystem.listDirectory(directory)
                problem(nil, .unreadable(FileError(path: directory, message: "No such file or directory")))
            } catch {
                problem(nil, .unreadable(error))
            }
            return
        case .file, .other:
            problem(
                nil, .unreadable(FileError(path: directory, message: "not a directory (--cert-dir needs a directory)")))
            return
        }
        let listing: [(name: String, kind: FileSystem.EntryKind?)]
        do { listing = try FileSystem.listDirectoryEntries(directory) } catch {
            problem(nil, .unreadable(error))
            return
        }
        found.directories.append(directory)
        let present = Set(listing.map(\.name))
        for (entry, listedKind) in listing where !entry.hasPrefix(".") {
            let path = join(directory, entry)
            switch listedKind ?? FileSystem.kind(of: path) {
            case .directory:
                found.directories.append(path)
                let certificate = join(path, "tls.crt")
                let key = join(path, "tls.key")
                let hasCertificate = FileSystem.kind(of: certificate) == .file
                let hasKey = FileSystem.kind(of: key) == .file
                switch (hasCertificate, hasKey) {
                case (true, true):
                    add(
                        CertificateSource(name: entry, certificatePath: certificate, keyPath: key, directory: directory)
                    )
                case (true, false):
                    problem(entry, .incompleteSource(path: certificate, missing: "no matching tls.key beside it"))
                case (false, true):
                    problem(entry, .incompleteSource(path: key, missing: "no matching tls.crt beside it"))
                case (false, false):
                    problem(
                        entry,
                        .incompleteSource(
                            path: path,
                            missing: "subdirectory without tls.crt and tls.key (expected a Kubernetes TLS secret mount)"
                        ))
                }
            case .file:
                let (name, fileExtension) = split(entry)
                guard !name.isEmpty else { continue }
                switch fileExtension {
                case "pem":
                    add(CertificateSource(name: name, certificatePath: path, keyPath: path, directory: directory))
                case "crt":
                    // cert-manager and kubernetes.io/tls secrets carry the issuing CA as `ca.crt` beside
                    // `tls.crt`/`tls.key`; it is trust material, not a certificate to serve.
                    if name == "ca" && !present.contains("ca.key") { continue }
                    guard present.contains(name + ".key") else {
                        problem(name, .incompleteSource(path: path, missing: "no matching \(name).key beside it"))
                        continue
                    }
                    add(
                        CertificateSource(
                            name: name, certificatePath: path, keyPath: join(directory, name + ".key"),
                            directory: directory))
                case "key":
                    if !present.contains(name + ".crt") {
                        problem(name, .incompleteSource(path: path, missing: "no matching \(name).crt beside it"))
                    }
                default:
                    continue
                }
            case .missing:
                // A dangling symlink: say so instead of skipping a certificate the user expects.
                problem(split(entry).name, .unreadable(FileError(path: path, message: "broken symbolic link")))
            case .other:
                continue
            }
        }
    }

    /// "api" for "/etc/certs/api.crt".
    static func stem(of path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return split(file).name
    }

    private static func split(_ file: String) -> (name: String, fileExtension: String) {
        guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { return (file, "") }
        return (String(file[..<dot]), String(file[file.index(after: dot)...]))
    }

    private static func join(_ directory: String, _ entry: String) -> String {
        PathName.join(directory, entry)
    }
}
