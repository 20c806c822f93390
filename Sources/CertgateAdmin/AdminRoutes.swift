/// The admin API's routing table: exact path, then method. The executable builds one and passes
/// `routes.handle` to `AdminServer`; new endpoints (`/readyz`, `POST /reload`) are one `register` call each.
///
/// Routing rules: an unknown path is a 404; a known path with another method is a 405 listing the allowed
/// methods; HEAD is served by the GET handler (the server sends the head only). The query string is ignored
/// by routing and left to the handler.
public struct AdminRoutes {
    public typealias Handler = (AdminRequest) -> AdminResponse

    /// The content type of the Prometheus text format that scrapers negotiate for.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private var table: [String: [String: Handler]] = [:]

    /// An empty table: every request is a 404.
    public init() {}

    /// The standard endpoints: `GET /healthz` (200 "ok", or 503 when `health` says no) and `GET /metrics`
    /// (the exposition `metrics` returns, e.g. `{ proxyMetrics.exposition() }`).
    public init(metrics: @escaping () -> [UInt8], health: @escaping () -> Bool) {
        register("GET", "/healthz") { _ in
            health() ? .text("ok\n") : .text("unhealthy\n", status: 503)
        }
        register("GET", "/metrics") { _ in
            AdminResponse(status: 200, contentType: Self.metricsContentType, body: metrics())
        }
    }

    /// Serves `method` on `path` (exact match, e.g. "/readyz"), replacing any handler already there.
    public mutating func register(_ method: String, _ path: String, _ handler: @escaping Handler) {
        table[path, default: [:]][method] = handler
    }

    /// Answers `request`; pass this to `AdminServer` as its handler.
    public func handle(_ request: AdminRequest) -> AdminResponse {
        guard let methods = table[request.path] else { return .notFound }
        if let handler = methods[request.method] {
            return handler(request)
        }
        if request.method == "HEAD", let handler = methods["GET"] {
            return handler(request)
        }
        return .methodNotAllowed(allow: Self.allowed(methods))
    }

    /// The methods served on a path, sorted, with HEAD wherever GET is.
    public func allowedMethods(for path: String) -> [String] {
        table[path].map(Self.allowed) ?? []
    }

    private static func allowed(_ methods: [String: Handler]) -> [String] {
        var names = Set(methods.keys)
        if names.contains("GET") { names.insert("HEAD") }
        return names.sorted()
    }
}
