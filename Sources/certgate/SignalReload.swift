import CertgateCertificates
import CertgateConfig
import CertgateMetrics
import CertgateProxy
import Logging

/// Re-reads every certificate source on request (SIGHUP) and publishes the result as a new snapshot.
///
/// Transactional: the new snapshot is built completely (every file read, parsed and checked) before it
/// is published; any failure leaves the current snapshot in service and is logged in one line naming
/// the file. Connections already accepted keep the snapshot they started with. Runs on the control
/// thread, never on a worker loop (it does blocking file I/O).
///
/// This is the manual trigger only; automatic change detection (inotify and stat polling), content
/// hashing and reload metrics belong to the hot-reload work.
final class SignalReload {
    private let configuration: ProxyConfiguration
    private let server: ProxyServer
    private let metrics: ProxyMetrics
    private let logger: Logger
    private var current: CertificateSnapshot

    init(configuration: ProxyConfiguration, server: ProxyServer, metrics: ProxyMetrics, logger: Logger,
         current: CertificateSnapshot) {
        self.configuration = configuration
        self.server = server
        self.metrics = metrics
        self.logger = logger
        self.current = current
    }

    func reload(trigger: String) {
        let started = ContinuousClock.now
        let next: CertificateSnapshot
        do {
            next = try CertificateInventory.load(configuration)
        } catch {
            logger.error("certificate reload failed; still serving the previous certificates", metadata: [
                "trigger": "\(trigger)", "error": "\(error)",
            ])
            return
        }
        server.publish(next)
        metrics.certificatesLoaded.set(to: Double(next.count))
        let previous = current
        current = next
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        for change in Self.changes(from: previous, to: next) {
            logger.notice("certificate \(change.kind)", metadata: [
                "cert": "\(change.name)", "old_serial": "\(change.oldSerial)", "new_serial": "\(change.newSerial)",
                "trigger": "\(trigger)",
            ])
        }
        for warning in next.warnings {
            logger.warning("\(warning)")
        }
        logger.notice("certificates reloaded", metadata: [
            "trigger": "\(trigger)", "certificates": "\(next.count)", "default_cert": "\(next.defaultCertificate.name)",
            "duration_ms": "\(milliseconds)",
        ])
    }

    struct Change: Equatable {
        let name: String
        let kind: String
        let oldSerial: String
        let newSerial: String
    }

    /// Added, removed and re-issued certificates by name (same serial means unchanged).
    static func changes(from old: CertificateSnapshot, to new: CertificateSnapshot) -> [Change] {
        var before: [String: String] = [:]
        for certificate in old.certificates {
            before[certificate.name] = certificate.certifiedKey.leaf.serialNumber
        }
        var changes: [Change] = []
        var seen = Set<String>()
        for certificate in new.certificates {
            seen.insert(certificate.name)
            let serial = certificate.certifiedKey.leaf.serialNumber
            switch before[certificate.name] {
            case nil:
                changes.append(Change(name: certificate.name, kind: "added", oldSerial: "-", newSerial: serial))
            case let oldSerial? where oldSerial != serial:
                changes.append(Change(name: certificate.name, kind: "replaced", oldSerial: oldSerial, newSerial: serial))
            default:
                break
            }
        }
        for certificate in old.certificates where !seen.contains(certificate.name) {
            changes.append(Change(name: certificate.name, kind: "removed",
                                  oldSerial: certificate.certifiedKey.leaf.serialNumber, newSerial: "-"))
        }
        return changes
    }
}
