import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import Logging

/// Turns client-CA and client-CRL reload outcomes into metrics and log lines (the `ReloadController`
/// does the reloading). Control thread only.
final class ClientTrustReporter {
    let store: ClientCAStore
    private let caMetrics: ClientCAMetrics
    private let crlMetrics: ClientCRLMetrics?
    private let logger: Logger

    init(store: ClientCAStore, caMetrics: ClientCAMetrics, crlMetrics: ClientCRLMetrics?, logger: Logger) {
        self.store = store
        self.caMetrics = caMetrics
        self.crlMetrics = crlMetrics
        self.logger = logger
    }

    /// The start-up load.
    func recordStartup() {
        caMetrics.recordReload(trigger: ReloadTrigger.startup.rawValue, result: "success")
        if store.crl != nil {
            crlMetrics?.recordReload(trigger: ReloadTrigger.startup.rawValue, result: "success")
        }
        updateMetrics()
        logRevocationCoverage(trigger: ReloadTrigger.startup)
    }

    /// A configuration reload made this pool part of a new service: its gauges show it (no reload counted).
    func adopted() {
        updateMetrics()
    }

    func record(_ reload: ClientCAStore.Reload, trigger: ReloadTrigger) {
        recordCA(reload.ca, trigger: trigger)
        if let outcome = reload.crl { recordCRL(outcome, trigger: trigger) }
        updateMetrics()
        if reload.trust != nil { logRevocationCoverage(trigger: trigger) }
    }

    private static func counts(_ trigger: ReloadTrigger) -> Bool {
        trigger == .signal || trigger == .admin || trigger == .timer || trigger == .inotify || trigger == .stat
    }

    private func recordCA(_ outcome: ClientCAStore.Outcome, trigger: ReloadTrigger) {
        switch outcome {
        case .unchanged:
            if Self.counts(trigger) { caMetrics.recordReload(trigger: trigger.rawValue, result: "unchanged") }
        case .added(let evicted):
            caMetrics.recordReload(trigger: trigger.rawValue, result: "success")
            caMetrics.recordEvictions(evicted)
            logger.notice(
                "client CA generation added",
                metadata: [
                    "file": "\(store.options.path)",
                    "generation": "\(store.pool.current.map { String($0.id.prefix(12)) } ?? "-")",
                    "generations": "\(store.pool.generations.count)", "evicted": "\(evicted)",
                    "trusted_cas": "\(store.pool.trusted.count)", "trigger": "\(trigger.rawValue)",
                ])
        case .failed(let reason, let firstReport):
            caMetrics.recordReload(trigger: trigger.rawValue, result: "failure")
            let metadata: Logger.Metadata = ["error": "\(reason)", "trigger": "\(trigger.rawValue)"]
            if firstReport {
                logger.error("client CA reload failed; the trusted CAs are unchanged; will retry", metadata: metadata)
            } else {
                logger.debug("client CA reload still failing", metadata: metadata)
            }
        }
    }

    private func recordCRL(_ outcome: ClientCRLFile.Outcome, trigger: ReloadTrigger) {
        switch outcome {
        case .unchanged:
            if Self.counts(trigger) { crlMetrics?.recordReload(trigger: trigger.rawValue, result: "unchanged") }
        case .updated:
            crlMetrics?.recordReload(trigger: trigger.rawValue, result: "success")
        case .failed(let reason, let firstReport):
            crlMetrics?.recordReload(trigger: trigger.rawValue, result: "failure")
            let metadata: Logger.Metadata = ["error": "\(reason)", "trigger": "\(trigger.rawValue)"]
            if firstReport {
                logger.error(
                    "client CRL reload failed; the previous CRLs stay in force; will retry", metadata: metadata)
            } else {
                logger.debug("client CRL reload still failing", metadata: metadata)
            }
        }
    }

    /// After a load that changed the trust: which CRLs are in force, which trusted CAs have none and
    /// which CRLs are outside their validity window (both mean refused clients under the strict policy).
    private func logRevocationCoverage(trigger: ReloadTrigger) {
        guard let crl = store.crl else { return }
        let trusted = store.pool.trusted.map(\.root)
        let set = crl.set
        logger.notice(
            "client CRLs in force",
            metadata: [
                "file": "\(crl.path)", "crls": "\(set.entries.count)",
                "revoked": "\(set.entries.reduce(0) { $0 + $1.list.revokedCount })", "trigger": "\(trigger.rawValue)",
            ])
        for ca in set.uncovered(trusted) {
            logger.warning(
                "trusted client CA has no CRL in --client-crl; its clients are refused",
                metadata: [
                    "file": "\(crl.path)", "ca": "\(ca.subject)",
                    "fingerprint": "\(ContentDigest.hex(ca.sha256Fingerprint))",
                ])
        }
        for (entry, problem) in set.unusable(now: Timestamp.now) {
            logger.warning(
                "client CRL is \(problem); clients of its CA are refused until a valid CRL is loaded",
                metadata: [
                    "file": "\(crl.path)", "issuer": "\(entry.list.issuer)",
                    "next_update": "\(entry.list.nextUpdate.map(Timestamp.rfc3339) ?? "-")",
                ])
        }
    }

    private func updateMetrics() {
        var trusted: [String: Int64] = [:]
        for member in store.pool.trusted {
            trusted[ContentDigest.hex(member.fingerprint)] = member.root.notAfter
        }
        caMetrics.setPool(generations: store.pool.generations.count, trusted: trusted)
        guard let crl = store.crl, let crlMetrics else { return }
        let set = crl.set
        crlMetrics.setLists(
            count: set.entries.count, revokedEntries: set.entries.reduce(0) { $0 + $1.list.revokedCount },
            uncoveredCAs: set.uncovered(store.pool.trusted.map(\.root)).count,
            nextUpdates: set.nextUpdateByIssuer)
    }
}
