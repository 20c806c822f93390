/// Where one named certificate comes from: a combined PEM file, or a certificate file and a key file.
public struct CertificateSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The certificate's name in logs, `check` output and metrics (file stem or directory name).
    public let name: String
    public let certificatePath: String
    /// Equal to `certificatePath` for a combined `.pem` file.
    public let keyPath: String
    /// The `--cert-dir` the source was found in; `nil` for a `--cert/--key` pair.
    public let directory: String?

    public init(name: String, certificatePath: String, keyPath: String, directory: String? = nil) {
        self.name = name
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.directory = directory
    }

    public var isCombined: Bool { certificatePath == keyPath }

    /// The files to read: one for a combined PEM, two otherwise.
    public var paths: [String] { isCombined ? [certificatePath] : [certificatePath, keyPath] }

    public var description: String {
        isCombined ? certificatePath : "\(certificatePath) + \(keyPath)"
    }
}
