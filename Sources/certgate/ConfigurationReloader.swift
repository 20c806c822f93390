import CertgateConfig
import CertgateLogging
import CertgateMetrics
import CertgatePosix
import CertgateProxy
import CertgateReload
import CertgateTLS
import LibEV
import Logging

/// SIGHUP and `POST /reload`: re-reads the config file (with the flags and `CERTGATE_*` variables of the
/// start), applies what changed to new connections, then reloads the certificates. Control thread only.
///
/// Transactional: everything a change needs (the upstream address, a TLS context, certificate stores
/// and client-CA pools) is built first; if any of it fails, nothing changes and the failure is reported.
/// Then the new pieces are published: workers take the new proxy settings for the connections they
/// accept from then on, and connections already open keep the settings they started with. Settings that
/// need a restart are reported, and their running values kept. A broken config file never stops the
/// certificate reload that follows, so a rotation is never held up by a typo.
final class ConfigurationReloader {
    /// Flags and variables as at the start; only the file is read again.
    private let commandLine: CommandLineSettings
    private let environment: EnvironmentSettings
    private let resolver = ConfigurationResolver()
    private let server: ProxyServer
    private let loop: EventLoop
    private let metrics: ProxyMetrics
    private let logger: Logger
    /// The configuration in force.
    private(set) var running: ProxyConfiguration
    /// What workers use for new connections.
    private var settings: ProxySettings
    private(set) var certificates: CertificateService
    /// Called on the control loop with each configuration a reload put in force, for the parts of the
    /// process that keep a value of their own (the graceful stop's timings).
    var applied: (ProxyConfiguration) -> Void = { _ in }
    /// Re-read after the certificates on every reload.
    var ticketKeys: TicketKeyService?
    /// `--access-log`: its file is reopened on every reload (logrotate), and its settings are live.
    var accessLog: AccessLog?

    init(
        commandLine: CommandLineSettings, environment: EnvironmentSettings, running: ProxyConfiguration,
        settings: ProxySettings, certificates: CertificateService, server: ProxyServer, loop: EventLoop,
        metrics: ProxyMetrics, logger: Logger
    ) {
        self.commandLine = commandLine
        self.environment = environment
        self.running = running
        self.settings = settings
        self.certificates = certificates
        self.server = server
        self.loop = loop
        self.metrics = metrics
        self.logger = logger
    }

    /// Reloads the configuration, then the certificates; whether both went well, and the JSON report
    /// (`POST /reload`'s body: the certificate report with a `configuration` object).
    func reload(trigger: ReloadTrigger) -> (succeeded: Bool, json: String) {
        reopenAccessLog()
        let outcome = reloadConfiguration()
        metrics.configuration.recordReload(result: outcome.result, restartPending: outcome.restartRequired.count)
        let report = certificates.controller.reloadNow(trigger: trigger)
        let ticketKeysLoaded = ticketKeys?.reload(trigger: trigger) ?? true
        let json =
            "{\"configuration\":\(outcome.json),"
            + report.json(certificates: certificates.store.snapshot.count).dropFirst()
        return (outcome.result != "failure" && report.result != .failure && ticketKeysLoaded, json)
    }

    /// One configuration reload: what it did, for the metrics and the report.
    struct Outcome {
        var result: String
        var applied: [String] = []
        var restartRequired: [String] = []
        var error: String?

        var json: String {
            let list = { (keys: [String]) in "[" + keys.map(JSONText.quote).joined(separator: ",") + "]" }
            return
                "{\"result\":\"\(result)\",\"applied\":\(list(applied)),\"restart_required\":\(list(restartRequired)),"
                + "\"error\":\(error.map(JSONText.quote) ?? "null")}"
        }
    }

    private func reloadConfiguration() -> Outcome {
        let loaded: ProxyConfiguration
        do {
            loaded = try resolver.resolve(commandLine, environment: environment)
        } catch {
            return refused("\(error)")
        }
        let change = ConfigurationChange(running: running, loaded: loaded)
        guard !change.isEmpty else { return Outcome(result: "unchanged") }
        let next = change.effective
        // Prepare: everything that can fail, before anything changes.
        let newSettings: ProxySettings?
        let newService: CertificateService?
        let accessLogTarget: AccessLogTarget?
        do {
            accessLogTarget = change.changed(Settings.accessLogFile) ? try next.openAccessLogTarget() : nil
        } catch {
            return refused("\(error)")
        }
        do {
            newSettings = try proxySettings(for: next)
            newService =
                certificates.isOutdated(by: next)
                ? try CertificateService(
                    configuration: next, previous: certificates, loop: loop, metrics: metrics,
                    logger: logger, publish: { [server] in server.publish($0) })
                : nil
        } catch {
            accessLogTarget?.close()
            return refused("\(error)")
        }
        // Commit: nothing below can fail.
        if let newService {
            certificates.controller.stop()
            certificates = newService
            newService.controller.adopt()
            newService.controller.start()
            newService.logLoadWarnings(logger)
            server.publish(newService.store.snapshot)
        }
        if let newSettings {
            settings = newSettings
            server.publish(newSettings)
        }
        if change.changed(Settings.accessLog, Settings.accessLogFile) {
            do {
                try accessLog?.configure(format: next.accessLogFormat, target: accessLogTarget)
            } catch {
                logger.error("access log: cannot start its writer thread", metadata: ["error": "\(error)"])
            }
        }
        if change.changed(Settings.logFormat, Settings.logLevel) {
            try? CertgateLogging.update(formatName: next.logFormat.rawValue, levelName: next.logLevel.rawValue)
        }
        running = next
        applied(next)
        if !change.applied.isEmpty {
            logger.notice("configuration reloaded", metadata: ["applied": "\(change.applied.joined(separator: ","))"])
        }
        for key in change.needsRestart {
            logger.warning(
                "configuration change needs a restart; the running value is kept until then",
                metadata: [
                    "setting": "\(key)"
                ])
        }
        return Outcome(result: "success", applied: change.applied, restartRequired: change.needsRestart)
    }

    private func refused(_ error: String) -> Outcome {
        logger.error("configuration reload failed; nothing changed", metadata: ["error": "\(error)"])
        return Outcome(result: "failure", error: error)
    }

    /// The upstream addresses new connections use.
    var upstreamAddresses: [ResolvedAddress] { settings.upstreamAddresses }

    /// `UpstreamResolver` found a new address list for `endpoint`: new connections use it (unless a
    /// reload has put another upstream in force meanwhile).
    func publishUpstream(_ addresses: [ResolvedAddress], for endpoint: SocketEndpoint) {
        guard endpoint == running.upstream, !addresses.isEmpty, addresses != settings.upstreamAddresses else { return }
        settings.upstream = addresses[0]
        settings.upstreamAddresses = addresses
        server.publish(settings)
    }

    /// New proxy settings when `next` changes any of them, resolving the upstream and building a TLS
    /// context only when their settings changed; `nil` when the current ones still apply.
    private func proxySettings(for next: ProxyConfiguration) throws -> ProxySettings? {
        let upstream =
            next.upstream == running.upstream ? settings.upstreamAddresses : try next.resolveUpstream()
        let context =
            next.tlsSettings == running.tlsSettings
            ? settings.context
            : try TLSServerContext(settings: next.tlsSettings, ticketKeys: settings.context.ticketKeys)
        let candidate = next.proxySettings(upstream: upstream, context: context)
        return candidate == settings ? nil : candidate
    }
}

extension ConfigurationReloader {
    /// A reload reopens the access log file (logrotate moved it away and sent SIGHUP); a failure keeps
    /// the file in use and is logged.
    fileprivate func reopenAccessLog() {
        do {
            try accessLog?.reopen()
        } catch {
            logger.error(
                "access log: cannot reopen its file; still writing to the previous one", metadata: ["error": "\(error)"]
            )
        }
    }
}
