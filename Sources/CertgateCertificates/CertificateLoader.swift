import CertgatePosix
import CertgateTLS
import Dispatch
import Glibc
import Synchronization

/// Reads and parses certificate sources. Blocking file I/O: call it from start-up or the control thread,
/// never from a worker loop.
public enum CertificateLoader {
    /// Reads and parses one source (start-up: a single read); the error names the file at fault.
    public static func load(
        _ source: CertificateSource, decoder: PrivateKeyDecoder? = nil,
        validity: ValidityPolicy = .allowAny
    ) throws(CertificateLoadError) -> LoadedCertificate {
        let content = try SourceContent.read(source, stable: false, ocsp: true)
        return try parse(source, content: content, decoder: decoder, validity: validity)
    }

    /// Parses bytes already read, checks that the key belongs to the certificate and, unless `validity`
    /// allows anything, that the certificate is valid now. OCSP bytes in `content` are checked (see
    /// `OCSPLoad`); a bad response never fails the certificate.
    ///
    /// - Parameter previous: what the source served before (a reload), whose OCSP response stays while
    ///   current when the new one is bad.
    public static func parse(
        _ source: CertificateSource, content: SourceContent, decoder: PrivateKeyDecoder? = nil,
        validity: ValidityPolicy = .allowAny, previous: LoadedCertificate? = nil
    ) throws(CertificateLoadError) -> LoadedCertificate {
        let certificateBytes = content.certificateBytes
        let key: CertifiedKey
        do {
            key = try CertifiedKey.parse(
                certificatePEM: certificateBytes, privateKeyPEM: content.keyBytes,
                decoder: decoder, name: source.name)
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
            case .noCertificate, .invalidCertificate, .openSSL:
                throw .invalidContent(path: source.certificatePath, error)
            }
        }
        if let problem = validity.problem(notBefore: key.leaf.notBefore, notAfter: key.leaf.notAfter) {
            throw .notValidNow(path: source.certificatePath, problem: problem)
        }
        let ocsp = OCSPLoad.staple(
            content.ocspBytes, path: source.ocspPath, for: key, previous: previous, now: Timestamp.now)
        return LoadedCertificate(
            source: source, certifiedKey: key, digest: content.digest, ocspStaple: ocsp.staple, ocspLoad: ocsp.load)
    }

    /// Loads every source; the first failure (in source order) is thrown (start-up semantics: a proxy
    /// that starts must serve everything it was configured with).
    public static func loadAll(_ sources: [CertificateSource], validity: ValidityPolicy = .allowAny)
        throws(CertificateLoadError) -> [LoadedCertificate]
    {
        let results = inParallel(count: sources.count) { index, decoder in
            do throws(CertificateLoadError) {
                return Result<LoadedCertificate, CertificateLoadError>.success(
                    try load(sources[index], decoder: decoder, validity: validity))
            } catch {
                return .failure(error)
            }
        }
        var loaded: [LoadedCertificate] = []
        loaded.reserveCapacity(results.count)
        for result in results {
            loaded.append(try result.get())
        }
        return loaded
    }

    /// Runs `work` for every index, on the calling thread for small sets and split across the available
    /// cores for large ones (OpenSSL 3 decodes a certificate in ~150 µs), each thread with its own key
    /// decoder.
    public static func inParallel<Output: Sendable>(
        count: Int,
        _ work: @Sendable (Int, PrivateKeyDecoder) -> Output
    ) -> [Output] {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let threads = min(cores, max(1, count / 64))
        if threads == 1 {
            let decoder = PrivateKeyDecoder()
            return (0..<count).map { work($0, decoder) }
        }
        let results = Mutex<[Output?]>(Array(repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: threads) { chunk in
            let decoder = PrivateKeyDecoder()
            for index in stride(from: chunk, to: count, by: threads) {
                let outcome = work(index, decoder)
                results.withLock { $0[index] = outcome }
            }
        }
        return results.withLock { $0.map { $0! } }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
