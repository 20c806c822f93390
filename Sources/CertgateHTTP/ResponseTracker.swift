internal import CHTTPParser

/// Follows the upstream's responses (with http-parser, reading only: the bytes pass on unchanged) to
/// match them with the requests `RequestRewriter` forwarded, so it learns how the upstream answered a
/// protocol upgrade: `101 Switching Protocols` to an `Upgrade` request (or a 2xx to CONNECT) means the
/// connection becomes a tunnel; any other final response means it stays HTTP.
///
/// Responses that carry no body whatever their fields say (to HEAD, 1xx, 204, 304) are framed as such;
/// interim 1xx responses do not answer a request. A response stream that does not parse stops the
/// tracking (`failed`): from then on no upgrade is ever accepted.
final class ResponseTracker {
    enum Decision: Equatable {
        /// The upstream switched protocols: everything after is opaque in both directions.
        case switched
        /// The upgrade (or CONNECT) request got an ordinary response: the connection stays HTTP.
        case declined
    }

    struct Request {
        var isHead: Bool
        /// An `Upgrade` request or CONNECT: its response decides whether the connection switches.
        var mayUpgrade: Bool
        var isConnect: Bool
        /// What the access log says about it (only with `RequestRewriter.recordsRequests`).
        var summary: RequestSummary?
    }

    private let parser: UnsafeMutablePointer<http_parser>
    private var outstanding: [Request] = []
    private var head = 0
    private var interim = false
    private(set) var decision: Decision?
    private(set) var failed = false
    /// Summaries of the requests answered and not taken yet.
    private var answered: [RequestSummary] = []

    init() {
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_RESPONSE)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
    }

    /// Requests forwarded and not answered yet.
    var outstandingCount: Int { outstanding.count - head }

    func takeAnswered() -> [RequestSummary] {
        defer { answered.removeAll() }
        return answered
    }

    var unanswered: [RequestSummary] { outstanding[head...].compactMap(\.summary) }

    func requestForwarded(_ request: Request) {
        if head > 0 && head == outstanding.count {
            outstanding.removeAll(keepingCapacity: true)
            head = 0
        }
        outstanding.append(request)
    }

    /// Reads the next bytes the upstream sent. Returns the decision on a pending upgrade, once made.
    func observe(_ bytes: UnsafeRawBufferPointer) -> Decision? {
        guard !failed, decision != .switched, !bytes.isEmpty else { return nil }
        decision = nil
        _ = bytes.withMemoryRebound(to: CChar.self) {
            http_parser_execute(parser, &ResponseParserCallbacks.settings, $0.baseAddress, $0.count)
        }
        let errno = http_errno(parser.pointee.http_errno)
        if errno != HPE_OK && errno != HPE_PAUSED && decision == nil {
            failed = true
            return outstanding[head...].contains(where: \.mayUpgrade) ? .declined : nil
        }
        return decision
    }

    // MARK: Parser callbacks

    /// Returns 1 when the response has no body regardless of its fields, 2 when the protocol switches.
    func onHeadersComplete() -> Int32 {
        let status = Int(parser.pointee.status_code)
        guard head < outstanding.count else {
            // A response to no request: the upstream is not speaking HTTP as expected.
            failed = true
            return 2
        }
        let request = outstanding[head]
        if request.summary != nil && (status == 101 || !(100..<200).contains(status)) {
            outstanding[head].summary?.status = status
        }
        if status == 101 || (request.isConnect && (200..<300).contains(status)) {
            if request.mayUpgrade {
                if let summary = outstanding[head].summary { answered.append(summary) }
                decision = .switched
                http_parser_pause(parser, 1)
                return 2
            }
        }
        interim = (100..<200).contains(status)
        if request.isHead || interim || status == 204 || status == 304 { return 1 }
        return 0
    }

    func onMessageComplete() {
        guard !interim, head < outstanding.count else { return }
        if outstanding[head].mayUpgrade && decision != .switched {
            decision = .declined
        }
        if let summary = outstanding[head].summary { answered.append(summary) }
        head += 1
    }
}

/// The http-parser callback table of `ResponseTracker`.
enum ResponseParserCallbacks {
    nonisolated(unsafe) static var settings: http_parser_settings = {
        var settings = http_parser_settings()
        http_parser_settings_init(&settings)
        settings.on_headers_complete = { parser in
            tracker(parser) { $0.onHeadersComplete() }
        }
        settings.on_message_complete = { parser in
            tracker(parser) { $0.onMessageComplete() }
            return 0
        }
        return settings
    }()

    /// Runs `body` with the tracker behind `parser->data`, without retaining it (it is alive: it called).
    @inline(__always)
    private static func tracker<R>(_ parser: UnsafeMutablePointer<http_parser>?, _ body: (ResponseTracker) -> R) -> R {
        Unmanaged<ResponseTracker>.fromOpaque(parser!.pointee.data)._withUnsafeGuaranteedRef(body)
    }
}
