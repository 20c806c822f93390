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
    public static func scan(directories: [String], pairs: [CertificatePair]) throws(CertificateLoadError)
        -> [CertificateSource]
    {
        var byName: [String: CertificateSource] = [:]
        func add(_ source: CertificateSource) throws(CertificateLoadError) {
            if let existing = byName[source.name] {
                throw .duplicateName(source.name, first: existing.certificatePath, second: source.certificatePath)
            }
            byName[source.name] = source
        }
        for directory in directories {
            for source in try scan(directory: directory) {
                try add(source)
            }
        }
        for pair in pairs {
            try add(CertificateSource(name: stem(of: pair.certificatePath), certificatePath: pair.certificatePath,
                                      keyPath: pair.keyPath))
        }
        guard !byName.isEmpty else { throw .noCertificates(searched: directories) }
        return byName.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    static func scan(directory: String) throws(CertificateLoadError) -> [CertificateSource] {
        switch FileSystem.kind(of: directory) {
        case .directory: break
        case .missing:
            do { _ = try FileSystem.listDirectory(directory) } catch { throw .unreadable(error) }
            throw .unreadable(FileError(path: directory, message: "No such file or directory"))
        case .file, .other:
            throw .unreadable(FileError(path: directory, message: "not a directory (--cert-dir needs a directory)"))
        }
        let entries: [String]
        do { entries = try FileSystem.listDirectory(directory) } catch { throw .unreadable(error) }
        let present = Set(entries)
        var sources: [CertificateSource] = []
        for entry in entries where !entry.hasPrefix(".") {
            let path = join(directory, entry)
            switch FileSystem.kind(of: path) {
            case .directory:
                let certificate = join(path, "tls.crt")
                let key = join(path, "tls.key")
                let hasCertificate = FileSystem.kind(of: certificate) == .file
                let hasKey = FileSystem.kind(of: key) == .file
                switch (hasCertificate, hasKey) {
                case (true, true):
                    sources.append(CertificateSource(name: entry, certificatePath: certificate, keyPath: key))
                case (true, false):
                    throw .incompleteSource(path: certificate, missing: "no matching tls.key beside it")
                case (false, true):
                    throw .incompleteSource(path: key, missing: "no matching tls.crt beside it")
                case (false, false):
                    throw .incompleteSource(
                        path: path,
                        missing: "subdirectory without tls.crt and tls.key (expected a Kubernetes TLS secret mount)"
                    )
                }
            case .file:
                let (name, fileExtension) = split(entry)
                guard !name.isEmpty else { continue }
                switch fileExtension {
                case "pem":
                    sources.append(CertificateSource(name: name, certificatePath: path, keyPath: path))
                case "crt":
                    // cert-manager and kubernetes.io/tls secrets carry the issuing CA as `ca.crt` beside
                    // `tls.crt`/`tls.key`; it is trust material, not a certificate to serve.
                    if name == "ca" && !present.contains("ca.key") { continue }
                    guard present.contains(name + ".key") else {
                        throw .incompleteSource(path: path, missing: "no matching \(name).key beside it")
                    }
                    sources.append(CertificateSource(name: name, certificatePath: path,
                                                     keyPath: join(directory, name + ".key")))
                case "key":
                    guard present.contains(name + ".crt") else {
                        throw .incompleteSource(path: path, missing: "no matching \(name).crt beside it")
                    }
                default:
                    continue
                }
            case .missing:
                // A dangling symlink: say so instead of skipping a certificate the user expects.
                throw .unreadable(FileError(path: path, message: "broken symbolic link"))
            case .other:
                continue
            }
        }
        return sources
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
        directory.hasSuffix("/") ? directory + entry : directory + "/" + entry
    }
}
