import CertgatePosix
import CertgateTLS

/// Reads and parses certificate sources. Blocking file I/O: call it from start-up or the control thread,
/// never from a worker loop.
public enum CertificateLoader {
    /// Loads one source; the error names the file at fault.
    public static func load(_ source: CertificateSource) throws(CertificateLoadError) -> LoadedCertificate {
        let certificateBytes: [UInt8]
        let keyBytes: [UInt8]
        do {
            certificateBytes = try FileSystem.readFile(source.certificatePath)
            keyBytes = source.isCombined ? certificateBytes : try FileSystem.readFile(source.keyPath)
        } catch {
            throw .unreadable(error)
        }
        do {
            let key = try CertifiedKey.parse(certificatePEM: certificateBytes, privateKeyPEM: keyBytes)
            return LoadedCertificate(source: source, certifiedKey: key)
        } catch {
            switch error {
            case .keyMismatch:
                throw .keyMismatch(certificatePath: source.certificatePath, keyPath: source.keyPath)
            case .noPrivateKey, .invalidPrivateKey, .encryptedPrivateKey:
                throw .invalidContent(path: source.keyPath, error)
            case .empty where !source.isCombined && certificateBytes.allSatisfy(isWhitespace):
                throw .invalidContent(path: source.certificatePath, error)
            case .empty:
                throw .invalidContent(path: source.isCombined ? source.certificatePath : source.keyPath, error)
            case .noCertificate, .invalidCertificate:
                throw .invalidContent(path: source.certificatePath, error)
            }
        }
    }

    /// Loads every source, stopping at the first failure (start-up semantics: a proxy that starts must
    /// serve everything it was configured with).
    public static func loadAll(_ sources: [CertificateSource]) throws(CertificateLoadError) -> [LoadedCertificate] {
        var loaded: [LoadedCertificate] = []
        loaded.reserveCapacity(sources.count)
        for source in sources {
            loaded.append(try load(source))
        }
        return loaded
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
