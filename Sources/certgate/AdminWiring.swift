import CertgateAdmin
import CertgateConfig
import CertgateMetrics
import CertgatePosix
import LibEV
import Logging

/// The admin listener as the runtime sees it: `GET /healthz`, `GET /readyz`, `GET /metrics` and
/// `POST /reload` on the control loop, or nothing when `--admin` is not given. With `--admin-token-file`,
/// everything but `/healthz` and `/readyz` needs the bearer token, and the token file is re-read every
/// second while the listener runs. On a non-loopback address with no token, everything but `/healthz` and
/// `/readyz` is refused (403) unless `--admin-insecure` is given.
final class AdminWiring: LoopService {
    private let server: AdminServer?
    private let token: AdminToken?
    private let loop: EventLoop
    let endpointDescription: String

    /// Loads the token file (if any) and binds at once, so a busy admin port or an unusable token file
    /// fails start-up with one line naming `--admin` or `--admin-token-file`.
    /// - Parameters:
    ///   - tokenFile: `--admin-token-file` (absolute); `nil` when the admin listener needs no token.
    ///   - ready: whether `/readyz` answers 200 (false while draining).
    ///   - reload: runs a reload and returns whether it succeeded and the JSON report.
    init(
        loop: EventLoop, address: ResolvedAddress?, configured: SocketEndpoint?, metrics: ProxyMetrics,
        logger: Logger, tokenFile: String? = nil, insecure: Bool = false, ready: @escaping () -> Bool = { true },
        reload: @escaping () -> (succeeded: Bool, json: String)
    ) throws {
        self.loop = loop
        guard let address, let configured else {
            server = nil
            token = nil
            endpointDescription = "off"
            return
        }
        if let tokenFile {
            do {
                token = try AdminToken(path: tokenFile, logger: logger)
            } catch {
                throw StartupFailure("--admin-token-file \(error)")
            }
        } else {
            token = nil
        }
        var routes = AdminRoutes(metrics: { metrics.exposition() }, health: { true }, ready: ready, token: token)
        routes.refusesProtectedPaths = AdminExposure.refusesProtectedPaths(
            address: address, hasToken: token != nil, insecure: insecure)
        if routes.refusesProtectedPaths {
            logger.warning(
                "admin listener \(configured) is not on a loopback address and has no --admin-token-file: /metrics and /reload answer 403 (set a token, or --admin-insecure)"
            )
        }
        routes.register("POST", "/reload") { _ in
            let (succeeded, json) = reload()
            // 422: the reload ran, and some certificate material on disk is unusable (named in the body).
            return AdminResponse(
                status: succeeded ? 200 : 422, contentType: "application/json",
                body: Array(json.utf8))
        }
        do {
            server = try AdminServer(loop: loop, address: address, logger: logger, handler: routes.handle)
        } catch {
            throw StartupFailure("--admin \(configured): \(SystemError.message(for: error.errno))")
        }
        endpointDescription = "\(SocketEndpoint(host: configured.host, port: server?.port ?? configured.port))"
    }

    /// Whether requests other than `/healthz` and `/readyz` need the bearer token.
    var requiresToken: Bool { token != nil }

    func start() {
        server?.start()
        token?.startRefreshing(loop: loop)
    }

    func stop() {
        token?.stopRefreshing()
        server?.stop()
    }
}
