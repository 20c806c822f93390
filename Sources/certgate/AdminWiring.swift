import CertgateConfig
import CertgateMetrics
import CertgatePosix
import LibEV
import Logging

/// The admin listener as the runtime sees it (disabled when no `--admin` is given).
final class AdminWiring {
    private(set) var endpointDescription = "off"

    init(loop: EventLoop, address: ResolvedAddress?, configured: SocketEndpoint?, metrics: ProxyMetrics,
         logger: Logger) throws {
        guard address != nil else { return }
        endpointDescription = configured.map { "\($0)" } ?? "off"
    }

    func start() {}
    func stop() {}
}
