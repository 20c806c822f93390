import CertgateCertificates
import CertgateConfig
import CertgateHTTP
import CertgateMetrics
import CertgatePosix
import CertgateIdentity
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
    private let logger: Logger

    init(configuration: ProxyConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func run() throws {
        // A peer closing mid-write must be an EPIPE on that one socket, not the end of the process.
        signal(SIGPIPE, SIG_IGN)

        let started = ContinuousClock.now
        let store = try CertificateStore(options: configuration.certificateStoreOptions)
        let clientTrust: ClientTrustPolicies?
        do {
            clientTrust = try configuration.clientTrustPolicies()
        } catch {
            throw StartupFailure("\(error)")
        }
        if let clientTrust { _ = store.replaceClientTrusts(clientTrust.table) }
        let snapshot = store.snapshot
        let loadTime = ContinuousClock.now - started
        let now = Timestamp.now
        for certificate in snapshot.certificates {
            if let problem = CertificateInventory.validityProblem(certificate, now: now) {
                logger.warning("serving a certificate that is not valid now (--allow-expired)", metadata: [
                    "cert": "\(certificate.name)", "file": "\(certificate.source.certificatePath)",
                    "problem": "\(problem)",
                ])
            }
        }
        for warning in snapshot.warnings {
            logger.warning("\(warning)")
        }
        let context = try TLSServerContext(settings: configuration.tlsSettings)
        let upstream = try configuration.resolveUpstream()
        let listen = try configuration.resolveListen()
        let adminAddress = try configuration.resolveAdmin()

        let metrics = ProxyMetrics(version: CertgateVersion.current, openSSLVersion: TLSServerContext.libraryVersion,
                                   handshakeFailureReasons: HandshakeFailureReason.allCases.map(\.rawValue),
                                   httpRejectionReasons: RequestRejection.allCases.map(\.rawValue))
        var settings = ProxySettings(
            upstream: upstream,
            connectTimeout: configuration.connectTimeout,
            handshakeTimeout: configuration.handshakeTimeout,
            context: context
        )
        settings.proxyProtocol = ProxyProtocolVersion(rawValue: configuration.proxyProtocol.rawValue) ?? .off
        settings.forwardHeaders = configuration.forwardHeaders
        let server: ProxyServer
        do {
            server = try ProxyServer(listen: listen, workers: configuration.workers, settings: settings,
                                     snapshot: snapshot, metrics: metrics, logger: logger)
        } catch {
            throw StartupFailure("--listen \(configuration.listen): \(SystemError.message(for: error.errno))")
        }

        let loop = EventLoop.makeDefault()
        let reloader = ReloadController(
            loop: loop, store: store, settings: configuration.reloadSettings, metrics: metrics, logger: logger,
            clientTrust: clientTrust
        ) { server.publish($0) }
        reloader.recordStartup(duration: loadTime)
        var graceful: GracefulStop?
        let admin = try AdminWiring(loop: loop, address: adminAddress, configured: configuration.admin,
                                    metrics: metrics, logger: logger, tokenFile: configuration.adminTokenFile,
                                    ready: { graceful?.isServing ?? false }) {
            let report = reloader.reloadNow(trigger: .admin)
            return (report.result != .failure, report.json(certificates: store.snapshot.count))
        }
        let stopper = GracefulStop(loop: loop, server: server, timeout: configuration.drainTimeout, logger: logger,
                                   beforeDrain: { reloader.stop() }, afterDrain: { admin.stop() })
        let signals = [
            SignalWatcher(loop: loop, signal: SIGTERM) { stopper.signalled("SIGTERM") },
            SignalWatcher(loop: loop, signal: SIGINT) { stopper.signalled("SIGINT") },
            SignalWatcher(loop: loop, signal: SIGHUP) { reloader.reloadNow(trigger: .signal) },
        ]
        signals.forEach { $0.start() }

        try server.start()
        reloader.start()
        admin.start()
        graceful = stopper
        logger.notice("listening", metadata: [
            "listen": "\(listen.description.replacingPort(server.port))",
            "upstream": "\(upstream)",
            "workers": "\(server.workerCount)",
            "certificates": "\(snapshot.count)",
            "default_cert": "\(snapshot.defaultCertificate.name)",
            "load_ms": "\(loadTime.components.seconds * 1000 + loadTime.components.attoseconds / 1_000_000_000_000_000)",
            "admin": "\(admin.endpointDescription)",
            "watch": "\(configuration.watchMode.rawValue)",
        ])
        loop.run()
        withExtendedLifetime(signals) {}
        logger.notice("stopped")
    }
}

extension String {
    /// "127.0.0.1:0" → "127.0.0.1:43121" once the kernel has chosen a port.
    fileprivate func replacingPort(_ port: UInt16) -> String {
        guard let colon = lastIndex(of: ":") else { return self }
        return String(self[..<colon]) + ":\(port)"
    }
}
