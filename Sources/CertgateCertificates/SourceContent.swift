import CertgatePosix
import CertgateTLS

/// The bytes of one source as read from disk, their digest, and the files' signatures taken just before
/// reading (so a change that lands during or after the read shows up as a new signature later).
public struct SourceContent: Sendable {
    public let certificateBytes: [UInt8]
    /// The same bytes as `certificateBytes` for a combined PEM file.
    public let keyBytes: [UInt8]
    /// SHA-256 over certificate and key bytes: equal digests mean nothing changed.
    public let digest: ContentDigest
    /// One per `source.paths`, `nil` where `stat()` failed.
    public let signatures: [FileSignature?]

    public init(certificateBytes: [UInt8], keyBytes: [UInt8], signatures: [FileSignature?]) {
        self.certificateBytes = certificateBytes
        self.keyBytes = keyBytes
        self.digest = ContentDigest(parts: [certificateBytes, keyBytes])
        self.signatures = signatures
    }

    /// How many times `read(_:stable:)` reads a source that keeps changing before giving up.
    public static let maximumReads = 5

    /// Reads the source's files.
    ///
    /// - Parameter stable: read again until two consecutive reads give the same digest, so a writer
    ///   caught half-way (a certificate written before its key, a file being truncated and refilled) is
    ///   not mistaken for the new content. Used by reloads; start-up reads once.
    public static func read(_ source: CertificateSource, stable: Bool) throws(CertificateLoadError) -> SourceContent {
        var previous = try readOnce(source)
        guard stable else { return previous }
        for _ in 1..<maximumReads {
            let next = try readOnce(source)
            if next.digest == previous.digest { return previous }
            previous = next
        }
        throw .changing(path: source.certificatePath, reads: maximumReads)
    }

    private static func readOnce(_ source: CertificateSource) throws(CertificateLoadError) -> SourceContent {
        let signatures = source.paths.map(FileSignature.of)
        do {
            let certificate = try FileSystem.readFile(source.certificatePath)
            let key = source.isCombined ? certificate : try FileSystem.readFile(source.keyPath)
            return SourceContent(certificateBytes: certificate, keyBytes: key, signatures: signatures)
        } catch {
            throw .unreadable(error)
        }
    }
}
