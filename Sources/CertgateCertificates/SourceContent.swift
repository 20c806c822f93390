import CertgatePosix
import CertgateTLS

/// The bytes of one source as read from disk, their digest, and the files' signatures taken just before
/// reading (so a change that lands during or after the read shows up as a new signature later).
public struct SourceContent: Sendable {
    public let certificateBytes: [UInt8]
    /// The same bytes as `certificateBytes` for a combined PEM file.
    public let keyBytes: [UInt8]
    /// The OCSP response file's bytes (`source.ocspPath`) when it was asked for and exists; empty when it
    /// exists but cannot be read.
    public let ocspBytes: [UInt8]?
    /// SHA-256 over certificate, key (and OCSP) bytes: equal digests mean nothing changed.
    public let digest: ContentDigest
    /// One per `source.paths` (`source.signaturePaths` when the OCSP file was read), `nil` where
    /// `stat()` failed.
    public let signatures: [FileSignature?]

    public init(
        certificateBytes: [UInt8], keyBytes: [UInt8], ocspBytes: [UInt8]? = nil, signatures: [FileSignature?]
    ) {
        self.certificateBytes = certificateBytes
        self.keyBytes = keyBytes
        self.ocspBytes = ocspBytes
        self.digest = ContentDigest(parts: [certificateBytes, keyBytes] + (ocspBytes.map { [$0] } ?? []))
        self.signatures = signatures
    }

    /// How many times `read(_:stable:)` reads a source that keeps changing before giving up.
    public static let maximumReads = 5

    /// Reads the source's files.
    ///
    /// - Parameter stable: read again until two consecutive reads give the same digest, so a writer
    ///   caught half-way (a certificate written before its key, a file being truncated and refilled) is
    ///   not mistaken for the new content. Used by reloads; start-up reads once.
    /// - Parameter ocsp: also read `source.ocspPath` when it exists (served certificates; not CA or CRL
    ///   files).
    public static func read(_ source: CertificateSource, stable: Bool, ocsp: Bool = false) throws(CertificateLoadError)
        -> SourceContent
    {
        var previous = try readOnce(source, ocsp: ocsp)
        guard stable else { return previous }
        for _ in 1..<maximumReads {
            let next = try readOnce(source, ocsp: ocsp)
            if next.digest == previous.digest { return previous }
            previous = next
        }
        throw .changing(path: source.certificatePath, reads: maximumReads)
    }

    private static func readOnce(_ source: CertificateSource, ocsp: Bool) throws(CertificateLoadError) -> SourceContent
    {
        let signatures = (ocsp ? source.signaturePaths : source.paths).map(FileSignature.of)
        do {
            let certificate = try FileSystem.readFile(source.certificatePath)
            let key = source.isCombined ? certificate : try FileSystem.readFile(source.keyPath)
            // A missing OCSP file is the normal case; one that cannot be read is an invalid response.
            var ocspBytes: [UInt8]?
            if ocsp, FileSystem.kind(of: source.ocspPath) != .missing {
                ocspBytes = (try? FileSystem.readFile(source.ocspPath)) ?? []
            }
            return SourceContent(
                certificateBytes: certificate, keyBytes: key, ocspBytes: ocspBytes, signatures: signatures)
        } catch {
            throw .unreadable(error)
        }
    }
}
