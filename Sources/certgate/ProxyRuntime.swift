import CertgateAdmin
import CertgateCertificates
import CertgateConfig
import CertgateHTTP
import CertgateIdentity
import CertgateMetrics
import CertgatePosix
import CertgateProxy
import CertgateReload
import CertgateTLS
import Glibc
import LibEV
import Logging

/// Wires one serving process together and runs its control loop on the main thread.
///
/// Threads: the main thread runs libev's default loop (signals, the admin listener); `ProxyServer` runs
/// one loop per worker. Everything that can fail because of the environment or the configuration
/// (certificates, addresses, ports) is done before the first thread starts, so a failure is one error
/// line and exit status 1, never a half-started proxy.
final class ProxyRuntime {
    private let configuration: ProxyConfiguration
    private let commandLine: CommandLineSettings
    private let environment: EnvironmentSettings
    private let logger: Logger

    /// - Parameters: `commandLine` and `environment` are what `configuration` was resolved from; a
    ///   configuration reload resolves them again against the re-read config file.
    init(
        configuration: ProxyConfiguration, commandLine: CommandLineSettings, environment: EnvironmentSettings,
        logger: Logger
    ) {
        self.configuration = configuration
        self.commandLine = commandLine
        self.environment = environment
        self.logger = logger
    }

    func run() throws {
        // A peer closing mid-write must be an EPIPE on that one socket, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
        let descriptors = DescriptorLimit.raiseToHard()

        let metrics = ProxyMetrics(
            version: CertgateVersion.current, openSSLVersion: TLSServerContext.libraryVersion,
            handshakeFailureReasons: HandshakeFailureReason.allCases.map(\.rawValue),
            httpRejectionReasons: RequestRejection.allCases.map(\.rawValue))
        if let directory = configuration.ocspDirectory, FileSystem.kind(of: directory) != .directory {
            throw StartupFailure(
                "--ocsp-dir \(directory): not a directory (create it; certgate writes responses there)")
        }
        let loop = EventLoop.makeDefault()
        // The server does not exist yet while the certificates load; it publishes what they produce later.
        var publishTarget: ProxyServer?
        let started = ContinuousClock.now
        let certificates = try CertificateService(
            configuration: configuration, previous: nil, loop: loop,
            metrics: metrics, logger: logger
        ) { publishTarget?.publish($0) }
        let snapshot = certificates.store.snapshot
        let loadTime = ContinuousClock.now - started
        certificates.logLoadWarnings(logger)
        let ticketKeys = try TicketKeyService(
            configuration: configuration, loop: loop, metrics: metrics.tickets, logger: logger)
        let context = try TLSServerContext(settings: configuration.tlsSettings, ticketKeys: ticketKeys.ring)
        let upstream = try configuration.resolveUpstream()
        let listen = try configuration.resolveListen()
        let adminAddress = try configuration.resolveAdmin()

        let settings = configuration.proxySettings(upstream: upstream, context: context)
        let accessLog = try configuration.startAccessLog(metrics: metrics)
        let budget = ConnectionBudget(
            descriptorLimit: descriptors?.after ?? 1024, workers: configuration.workers,
            adminConnections: adminAddress == nil ? nil : AdminServerOptions().maxConnections)
        let maxConnections = configuration.maxConnections ?? budget.defaultLimit
        let server: ProxyServer
        do {
            server = try ProxyServer(
                listen: listen, workers: configuration.workers, maxConnections: maxConnections,
                settings: settings, snapshot: snapshot, metrics: metrics, logger: logger,
                accessLog: accessLog)
        } catch {
            throw StartupFailure("--listen \(configuration.listen): \(SystemError.message(for: error.errno))")
        }
        publishTarget = server

        let reloader = ConfigurationReloader(
            commandLine: commandLine, environment: environment, running: configuration, settings: settings,
            certificates: certificates, server: server, loop: loop, metrics: metrics, logger: logger)
        reloader.ticketKeys = ticketKeys
        reloader.accessLog = accessLog
        let upstreamResolver = UpstreamResolver(
            loop: loop, endpoint: configuration.upstream, interval: configuration.upstreamResolveInterval,
            addresses: upstream, metrics: metrics.upstream, logger: logger)
        upstreamResolver.publish = { reloader.publishUpstream($0, for: $1) }
        certificates.controller.recordStartup(duration: loadTime)
        var graceful: GracefulStop?
        let admin = try AdminWiring(
            loop: loop, address: adminAddress, configured: configuration.admin,
            metrics: metrics, logger: logger, tokenFile: configuration.adminTokenFile,
            insecure: configuration.adminInsecure,
            ready: { graceful?.isServing ?? false }
        ) {
            reloader.reload(trigger: .admin)
        }
        // --ocsp-fetch: on this (the control) loop, for whatever certificates are served at the time.
        let ocspFetcher =
            configuration.ocspFetch
            ? OCSPFetcher(
                loop: loop, certificates: { reloader.certificates.store.snapshot.certificates },
                metrics: metrics.ocsp, logger: logger) : nil
        let stopper = GracefulStop(
            loop: loop, server: server, timeout: configuration.drainTimeout, delay: configuration.shutdownDelay,
            logger: logger,
            beforeDrain: {
                reloader.certificates.controller.stop()
                ocspFetcher?.stop()
            },
            afterDrain: { admin.stop() })
        reloader.applied = { configuration in
            stopper.timeout = configuration.drainTimeout
            stopper.delay = configuration.shutdownDelay
            upstreamResolver.update(
                endpoint: configuration.upstream, interval: configuration.upstreamResolveInterval,
                addresses: reloader.upstreamAddresses)
        }
        let signals = [
            SignalWatcher(loop: loop, signal: SIGTERM) { stopper.signalled("SIGTERM") },
            SignalWatcher(loop: loop, signal: SIGINT) { stopper.signalled("SIGINT") },
            SignalWatcher(loop: loop, signal: SIGHUP) { _ = reloader.reload(trigger: .signal) },
        ]
        signals.forEach { $0.start() }

        try server.start()
        certificates.controller.start()
        ticketKeys.start()
        upstreamResolver.start()
        ocspFetcher?.start()
        admin.start()
        graceful = stopper
        logLimits(descriptors: descriptors, budget: budget, maxConnections: maxConnections)
        logger.notice(
            "listening",
            metadata: [
                "listen": "\(listen.description.replacingPort(server.port))",
                "upstream": "\(upstream.map(\.description).joined(separator: ","))",
                "workers": "\(server.workerCount)",
                "max_connections": "\(maxConnections)",
                "certificates": "\(snapshot.count)",
                "default_cert": "\(snapshot.defaultCertificate.name)",
                "load_ms":
                    "\(loadTime.components.seconds * 1000 + loadTime.components.attoseconds / 1_000_000_000_000_000)",
                "admin": "\(admin.endpointDescription)",
                "watch": "\(configuration.watchMode.rawValue)",
            ])
        loop.run()
        withExtendedLifetime(signals) {}
        // The workers have stopped and handed on their last lines: write them all.
        accessLog.finish()
        ticketKeys.stop()
        upstreamResolver.stop()
        logger.notice("stopped")
    }
}

extension ProxyRuntime {
    /// Logs the descriptor limit and the connection limit (once start-up has succeeded: a failed start
    /// prints its one error line only), and warns when `--max-connections` is more than the descriptors
    /// can carry.
    fileprivate func logLimits(descriptors: (before: Int, after: Int)?, budget: ConnectionBudget, maxConnections: Int) {
        logger.info(
            "file descriptor limit",
            metadata: [
                "nofile": "\(descriptors.map { String($0.after) } ?? "unknown")",
                "raised_from": "\(descriptors.map { String($0.before) } ?? "unknown")",
                "max_connections": "\(maxConnections)",
                "max_connections_source": "\(configuration.maxConnections == nil ? "auto" : "configured")",
            ])
        if maxConnections > budget.defaultLimit {
            logger.warning(
                "--max-connections is more than the file descriptor limit can carry; past that, accepts fail and the listeners pause",
                metadata: ["max_connections": "\(maxConnections)", "descriptors_allow": "\(budget.defaultLimit)"])
        }
    }
}

extension String {
    /// "127.0.0.1:0" → "127.0.0.1:43121" once the kernel has chosen a port.
    fileprivate func replacingPort(_ port: UInt16) -> String {
        guard let colon = lastIndex(of: ":") else { return self }
        return String(self[..<colon]) + ":\(port)"
    }
}
