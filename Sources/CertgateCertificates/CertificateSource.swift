/// Where one named certificate comes from: a combined PEM file, or a certificate file and a key file.
public struct CertificateSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The certificate's name in logs, `check` output and metrics (file stem or directory name).
    public let name: String
    public let certificatePath: String
    /// Equal to `certificatePath` for a combined `.pem` file.
    public let keyPath: String
    /// The `--cert-dir` the source was found in; `nil` for a `--cert/--key` pair.
    public let directory: String?
    /// `--ocsp-dir`: the OCSP response is `DIR/NAME.ocsp` there instead of beside the certificate.
    public let ocspDirectory: String?

    public init(
        name: String, certificatePath: String, keyPath: String, directory: String? = nil, ocspDirectory: String? = nil
    ) {
        self.name = name
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.directory = directory
        self.ocspDirectory = ocspDirectory
    }

    /// The same source with its OCSP response in `ocspDirectory` (`nil`: beside the certificate).
    public func withOCSPDirectory(_ ocspDirectory: String?) -> CertificateSource {
        CertificateSource(
            name: name, certificatePath: certificatePath, keyPath: keyPath, directory: directory,
            ocspDirectory: ocspDirectory)
    }

    public var isCombined: Bool { certificatePath == keyPath }

    /// The files to read: one for a combined PEM, two otherwise.
    public var paths: [String] { isCombined ? [certificatePath] : [certificatePath, keyPath] }

    /// The OCSP response stapled for this certificate, when the file exists: `NAME.ocsp` beside
    /// `NAME.pem`/`NAME.crt`, `tls.ocsp` in a secret directory (the certificate file's stem + `.ocsp`);
    /// with `ocspDirectory`, `NAME.ocsp` in it (NAME: the certificate's name).
    public var ocspPath: String {
        if let ocspDirectory {
            return (ocspDirectory.hasSuffix("/") ? ocspDirectory : ocspDirectory + "/") + name + ".ocsp"
        }
        let slash = certificatePath.lastIndex(of: "/")
        let fileStart = slash.map { certificatePath.index(after: $0) } ?? certificatePath.startIndex
        let file = certificatePath[fileStart...]
        let stem = file.lastIndex(of: ".").flatMap { $0 == file.startIndex ? nil : file[..<$0] } ?? file
        return String(certificatePath[..<fileStart]) + stem + ".ocsp"
    }

    /// The files whose `stat()` tells whether to read the source again: `paths` and `ocspPath`.
    public var signaturePaths: [String] { paths + [ocspPath] }

    public var description: String {
        isCombined ? certificatePath : "\(certificatePath) + \(keyPath)"
    }
}
