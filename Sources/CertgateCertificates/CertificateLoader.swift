import CertgatePosix
import CertgateTLS
import Dispatch
import Glibc
import Synchronization

/// Reads and parses certificate sources. Blocking file I/O: call it from start-up or the control thread,
/// never from a worker loop.
public enum CertificateLoader {
    /// Loads one source; the error names the file at fault.
    public static func load(_ source: CertificateSource, decoder: PrivateKeyDecoder? = nil)
        throws(CertificateLoadError) -> LoadedCertificate
    {
        let certificateBytes: [UInt8]
        let keyBytes: [UInt8]
        do {
            certificateBytes = try FileSystem.readFile(source.certificatePath)
            keyBytes = source.isCombined ? certificateBytes : try FileSystem.readFile(source.keyPath)
        } catch {
            throw .unreadable(error)
        }
        do {
            let key = try CertifiedKey.parse(certificatePEM: certificateBytes, privateKeyPEM: keyBytes,
                                             decoder: decoder)
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

    /// Loads every source; the first failure (in source order) is thrown (start-up semantics: a proxy
    /// that starts must serve everything it was configured with).
    ///
    /// Parsing dominates (OpenSSL 3 decodes a certificate in ~150 µs), so large sets are split across the
    /// available cores, each thread with its own key decoder.
    public static func loadAll(_ sources: [CertificateSource]) throws(CertificateLoadError) -> [LoadedCertificate] {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let threads = min(cores, max(1, sources.count / 64))
        if threads == 1 {
            let decoder = PrivateKeyDecoder()
            var loaded: [LoadedCertificate] = []
            loaded.reserveCapacity(sources.count)
            for source in sources {
                loaded.append(try load(source, decoder: decoder))
            }
            return loaded
        }
        let results = Mutex<[Result<LoadedCertificate, CertificateLoadError>?]>(Array(repeating: nil, count: sources.count))
        DispatchQueue.concurrentPerform(iterations: threads) { chunk in
            let decoder = PrivateKeyDecoder()
            for index in stride(from: chunk, to: sources.count, by: threads) {
                let outcome: Result<LoadedCertificate, CertificateLoadError>
                do throws(CertificateLoadError) {
                    outcome = .success(try load(sources[index], decoder: decoder))
                } catch {
                    outcome = .failure(error)
                }
                results.withLock { $0[index] = outcome }
            }
        }
        return try results.withLock { slots throws(CertificateLoadError) in
            var loaded: [LoadedCertificate] = []
            loaded.reserveCapacity(slots.count)
            for slot in slots {
                loaded.append(try slot!.get())
            }
            return loaded
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
