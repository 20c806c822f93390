import CertgateAdmin
import CertgateConfig
import CertgateMetrics
import CertgatePosix
import LibEV
import Logging

/// The admin listener as the runtime sees it: `GET /healthz`, `GET /metrics` and `POST /reload` on the
/// control loop, or nothing when `--admin` is not given.
final class AdminWiring {
    private let server: AdminServer?
    let endpointDescription: String

    /// Binds at once, so a busy admin port fails start-up with one line naming `--admin`.
    /// - Parameter reload: runs a reload and returns whether it succeeded and the JSON report.
    init(loop: EventLoop, address: ResolvedAddress?, configured: SocketEndpoint?, metrics: ProxyMetrics,
         logger: Logger, reload: @escaping () -> (succeeded: Bool, json: String)) throws {
        guard let address, let configured else {
            server = nil
            endpointDescription = "off"
            return
        }
        var routes = AdminRoutes(metrics: { metrics.exposition() }, health: { true })
        routes.register("POST", "/reload") { _ in
            let (succeeded, json) = reload()
            // 422: the reload ran, and some certificate material on disk is unusable (named in the body).
            return AdminResponse(status: succeeded ? 200 : 422, contentType: "application/json",
                                 body: Array(json.utf8))
        }
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
