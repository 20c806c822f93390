import CertgateAdmin
import CertgateConfig
import CertgateMetrics
import CertgatePosix
import LibEV
import Logging

/// The admin listener as the runtime sees it: `GET /healthz` and `GET /metrics` on the control loop, or
/// nothing when `--admin` is not given.
final class AdminWiring {
    private let server: AdminServer?
    let endpointDescription: String

    /// Binds at once, so a busy admin port fails start-up with one line naming `--admin`.
    init(loop: EventLoop, address: ResolvedAddress?, configured: SocketEndpoint?, metrics: ProxyMetrics,
         logger: Logger) throws {
        guard let address, let configured else {
            server = nil
            endpointDescription = "off"
            return
        }
        let routes = AdminRoutes(metrics: { metrics.exposition() }, health: { true })
        do {
            server = try AdminServer(loop: loop, address: address, logger: logger, handler: routes.handle)
        } catch {
            throw StartupFailure("--admin \(configured): \(SystemError.message(for: error.errno))")
        }
        endpointDescription = "\(SocketEndpoint(host: configured.host, port: server?.port ?? configured.port))"
    }

    func start() {
        server?.start()
    }

    func stop() {
        server?.stop()
    }
}
