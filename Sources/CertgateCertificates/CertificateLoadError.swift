import CertgatePosix
import CertgateTLS

/// Why certificates could not be found or loaded. `description` is one line that names the file,
/// directory or flag and says what is wrong, e.g.
/// `/etc/certgate/certs/api.pem: private key does not match the certificate`.
public enum CertificateLoadError: Error, Equatable, CustomStringConvertible {
    /// A file or directory could not be read (missing, permissions, not a directory...).
    case unreadable(FileError)
    /// PEM content of `path` is unusable.
    case invalidContent(path: String, CertificateParseError)
    /// The key in `keyPath` does not belong to the certificate in `certificatePath`.
    case keyMismatch(certificatePath: String, keyPath: String)
    /// A `NAME.crt` without `NAME.key`, a secret directory without `tls.key`, and the like.
    case incompleteSource(path: String, missing: String)
    /// Two sources produce the same certificate name.
    case duplicateName(String, first: String, second: String)
    /// Nothing to serve.
    case noCertificates(searched: [String])
    /// `--default-cert` names no loaded certificate.
    case unknownDefault(String, available: [String])
    /// The certificate in `path` is expired or not yet valid (`problem` says which) and
    /// `--allow-expired` is not set.
    case notValidNow(path: String, problem: String)
    /// Consecutive reads of `path` kept giving different content (a writer still at work).
    case changing(path: String, reads: Int)

    /// The one file or directory the error is about, when there is one: callers tell errors of different
    /// files apart by it, never by the text.
    public var path: String? {
        switch self {
        case .unreadable(let error): return error.path
        case .invalidContent(let path, _), .incompleteSource(let path, _), .notValidNow(let path, _),
            .changing(let path, _):
            return path
        case .keyMismatch(_, let keyPath): return keyPath
        case .duplicateName, .noCertificates, .unknownDefault: return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let error):
            return error.description
        case .invalidContent(let path, let reason):
            return "\(path): \(reason)"
        case .keyMismatch(let certificatePath, let keyPath):
            return certificatePath == keyPath
                ? "\(certificatePath): private key does not match the certificate"
                : "\(keyPath): private key does not match the certificate in \(certificatePath)"
        case .incompleteSource(let path, let missing):
            return "\(path): \(missing)"
        case .duplicateName(let name, let first, let second):
            return
                "duplicate certificate name '\(name)': \(first) and \(second) (names come from file or directory names and must be unique)"
        case .noCertificates(let searched):
            return searched.isEmpty
                ? "no certificate configured (use --cert-dir DIR or --cert FILE --key FILE)"
                : "no certificate found in \(searched.joined(separator: ", ")) (expected NAME.pem, NAME.crt + NAME.key, or NAME/tls.crt + NAME/tls.key)"
        case .unknownDefault(let name, let available):
            let shown = available.prefix(10).joined(separator: ", ") + (available.count > 10 ? ", ..." : "")
            return "--default-cert: no certificate named '\(name)' (loaded: \(shown))"
        case .notValidNow(let path, let problem):
            return "\(path): \(problem) (refused; --allow-expired serves it anyway)"
        case .changing(let path, let reads):
            return "\(path): content changed on each of \(reads) consecutive reads (still being written?)"
        }
    }
}
