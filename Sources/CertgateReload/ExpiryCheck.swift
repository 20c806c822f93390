import CertgateCertificates

/// Which served certificates are close to expiry (or past it): the `--expiry-warning` log lines.
public enum ExpiryCheck {
    public struct Finding: Equatable, Sendable {
        public let name: String
        public let path: String
        public let notAfter: Int64
        /// Whole days left, rounded down; negative once expired.
        public let daysLeft: Int64
    }

    /// Certificates among `certificates` whose notAfter is within `window` seconds of `now` (expired
    /// ones included), soonest first.
    public static func findings(_ certificates: [LoadedCertificate], now: Int64, window: Int64) -> [Finding] {
        guard window > 0 else { return [] }
        var found: [Finding] = []
        for certificate in certificates {
            let notAfter = certificate.certifiedKey.leaf.notAfter
            guard notAfter - now < window else { continue }
            let left = notAfter - now
            let days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400)
            found.append(
                Finding(
                    name: certificate.name, path: certificate.source.certificatePath, notAfter: notAfter,
                    daysLeft: days))
        }
        return found.sorted { ($0.notAfter, $0.name) < ($1.notAfter, $1.name) }
    }
}
