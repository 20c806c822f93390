/// The admin API's routing table: exact path, then method. The executable builds one and passes
/// `routes.handle` to `AdminServer`; new endpoints are one `register` call each.
///
/// Routing rules: an unknown path is a 404; a known path with another method is a 405 listing the allowed
/// methods; HEAD is served by the GET handler (the server sends the head only). The query string is ignored
/// by routing and left to the handler.
///
/// With a `token`, every request needs `Authorization: Bearer TOKEN` (else 401 with `WWW-Authenticate:
/// Bearer`) except on the paths registered with `requiresToken: false` (the probes `/healthz` and
/// `/readyz`). The check comes before routing, so without the token unknown paths are a 401 too and an
/// endpoint added later is protected unless it says otherwise.
public struct AdminRoutes {
    public typealias Handler = (AdminRequest) -> AdminResponse

    /// The content type of the Prometheus text format that scrapers negotiate for.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private var table: [String: [String: Handler]] = [:]
    /// Paths served without the token.
    private var openPaths: Set<String> = []
    /// When set, requests to every path not in `openPaths` must carry this token.
    public var token: AdminToken?
    /// When true (and there is no token), requests to every path not in `openPaths` are refused with a
    /// 403 (`AdminExposure.refusal`): a listener others can reach that has no token.
    public var refusesProtectedPaths = false

    /// An empty table: every request is a 404 (or a 401 when `token` is set).
    public init(token: AdminToken? = nil) {
        self.token = token
    }

    /// The standard endpoints:
    /// - `GET /healthz`: 200 "ok", or 503 "unhealthy" when `health` says no. Never needs the token.
    /// - `GET /readyz`: 200 "ready", or 503 "not ready" when `ready` says no (e.g. while draining). Never
    ///   needs the token.
    /// - `GET /metrics`: the exposition `metrics` returns, e.g. `{ proxyMetrics.exposition() }`.
    public init(
        metrics: @escaping () -> [UInt8],
        health: @escaping () -> Bool,
        ready: @escaping () -> Bool,
        token: AdminToken? = nil
    ) {
        self.token = token
        register("GET", "/healthz", requiresToken: false) { _ in
            health() ? .text("ok\n") : .text("unhealthy\n", status: 503)
        }
        register("GET", "/readyz", requiresToken: false) { _ in
            ready() ? .text("ready\n") : .text("not ready\n", status: 503)
        }
        register("GET", "/metrics") { _ in
            AdminResponse(status: 200, contentType: Self.metricsContentType, body: metrics())
        }
    }

    /// Serves `method` on `path` (exact match, e.g. "/reload"), replacing any handler already there.
    /// `requiresToken: false` opens the whole path (every method on it) to requests without the token;
    /// keep that for probes that reveal nothing.
    public mutating func register(
        _ method: String, _ path: String, requiresToken: Bool = true, _ handler: @escaping Handler
    ) {
        table[path, default: [:]][method] = handler
        if !requiresToken {
            openPaths.insert(path)
        }
    }

    /// Whether a request to `path` needs the token (always false without a token).
    public func requiresToken(_ path: String) -> Bool {
        token != nil && !openPaths.contains(path)
    }

    /// Answers `request`; pass this to `AdminServer` as its handler.
    public func handle(_ request: AdminRequest) -> AdminResponse {
        if token == nil, refusesProtectedPaths, !openPaths.contains(request.path) {
            return AdminExposure.refusal
        }
        if let token, !openPaths.contains(request.path), !token.authorizes(request) {
            let presented = request.header("authorization").flatMap(AdminToken.bearerCredential) != nil
            return .unauthorized(tokenPresented: presented)
        }
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
