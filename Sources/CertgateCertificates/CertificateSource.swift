/// Where one named certificate comes from: a combined PEM file, or a certificate file and a key file.
public struct CertificateSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The certificate's name in logs, `check` output and metrics (file stem or directory name).
    public let name: String
    public let certificatePath: String
    /// Equal to `certificatePath` for a combined `.pem` file.
    public let keyPath: String

    public init(name: String, certificatePath: String, keyPath: String) {
        self.name = name
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    public var isCombined: Bool { certificatePath == keyPath }

    public var description: String {
        isCombined ? certificatePath : "\(certificatePath) + \(keyPath)"
    }
}
