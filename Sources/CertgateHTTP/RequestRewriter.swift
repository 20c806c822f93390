internal import CHTTPParser

/// Rewrites the client → upstream byte stream of one HTTP/1.x connection for `--forward-headers`:
/// every request head gets the client's copies of the managed `X-Forwarded-*` fields removed and
/// certgate's own appended; bodies pass through, framed exactly as the upstream will frame them.
///
/// How the stream is read:
/// - A head is delimited and checked by `HeadScanner` (strict line discipline), then parsed by
///   http-parser (Debian's libhttp-parser: method, target, version, Content-Length and
///   Transfer-Encoding semantics). On top of both: exactly one Host in HTTP/1.1 and a Transfer-Encoding
///   of exactly `chunked`.
/// - The head forwarded is the client's request line and field lines byte for byte (each one checked
///   above), minus the managed fields, plus `ForwardedHeaders.block`.
/// - A Content-Length body is copied as is. A chunked body is re-encoded from what http-parser decoded
///   (chunk sizes in hex, no chunk extensions, trailer fields re-serialized minus the managed names), so
///   the upstream never sees chunk syntax certgate read differently.
/// - Pipelined requests are handled one after the other; the request after a complete message starts
///   a new head.
///
/// - A protocol upgrade (a request with an `Upgrade` field, or CONNECT) is forwarded, and then nothing
///   more: what the client sends next is held until the upstream's response to it is known
///   (`observeUpstream`, which follows the responses with a `ResponseTracker`). `101 Switching
///   Protocols` (2xx to CONNECT) turns the rest of the connection into an opaque tunnel; any other
///   response keeps it HTTP and the held bytes are parsed as the next request. So a client can never
///   slip a request with forged fields past the rewriter behind an upgrade the upstream declined.
///
/// The first malformed request stops the rewriter for good (`rejection`): the bytes of the requests
/// before it are in the output, nothing of it or after it is. Output is bounded: processing stops once
/// `outputLimit` bytes wait to be written or `pipelineLimit` requests are unanswered, and the
/// unprocessed input is held until `resume()`.
///
/// Not thread-safe: one per connection, used on the connection's worker thread.
public final class RequestRewriter {
    /// Bytes of processed output waiting to be written upstream, from `outputStart`.
    private var output: [UInt8] = []
    private var outputStart = 0
    /// Input not processed yet (held while output is at its limit).
    private var input: [UInt8] = []
    private var inputStart = 0
    /// A head still being received (when it arrived in pieces).
    private var partialHead: [UInt8] = []
    private var scanner: HeadScanner
    private var inBody = false
    private let parser: UnsafeMutablePointer<http_parser>
    private let injected: [UInt8]
    let headLimit: Int
    let outputLimit: Int
    let pipelineLimit: Int
    private let responses = ResponseTracker()
    /// The current request asks to switch protocols.
    private var currentMayUpgrade = false
    /// An upgrade request has been forwarded; its response has not been seen.
    public private(set) var awaitingUpgrade = false
    /// The upstream's answer to the upgrade request being forwarded, when it came before the request's
    /// end (a response before the whole body was sent).
    private var earlyDecision: ResponseTracker.Decision?
    /// The upstream switched protocols: bytes pass through untouched from now on.
    public private(set) var isTunnel = false

    // Set by the parser callbacks.
    private var messageComplete = false
    private var lastChunk = false
    private var trailers: [UInt8] = []
    private var trailerName: [UInt8] = []
    private var trailerValue: [UInt8] = []
    private var inTrailerValue = false

    /// Why the stream was refused, once it was.
    public private(set) var rejection: RequestRejection?
    /// Request heads forwarded so far.
    public private(set) var requestCount = 0
    /// `--access-log`: keep a `RequestSummary` of each request (`answeredRequests`), stamped with `now`.
    public var recordsRequests = false
    public var now: Double = 0

    /// - Parameters:
    ///   - headers: the fields to add to every request.
    ///   - headLimit: the largest request head accepted (request line and fields), in bytes.
    ///   - outputLimit: processing pauses once this many bytes wait to be written.
    public init(headers: ForwardedHeaders, headLimit: Int, outputLimit: Int = 64 * 1024, pipelineLimit: Int = 256) {
        self.injected = headers.block
        self.headLimit = headLimit
        self.outputLimit = outputLimit
        self.pipelineLimit = pipelineLimit
        self.scanner = HeadScanner(limit: headLimit)
        parser = .allocate(capacity: 1)
        resetParser()
    }

    /// A fresh request parser that finds this rewriter in its callbacks.
    private func resetParser() {
        http_parser_init(parser, HTTP_REQUEST)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
    }

    // MARK: Interface

    /// Processes bytes read from the client. What cannot be processed now (output at its limit, or after
    /// a rejection) is held, or dropped after a rejection.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard rejection == nil else { return }
        if inputStart < input.count {
            input.append(contentsOf: bytes)
            resume()
            return
        }
        let used = process(bytes)
        if used < bytes.count && rejection == nil {
            input.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
        }
    }

    /// Whether held input cannot be processed until the upstream answers (an upgrade decision, or too
    /// many requests unanswered).
    public var isWaitingForUpstream: Bool {
        awaitingUpgrade || (!isTunnel && responses.outstandingCount >= pipelineLimit)
    }

    /// Reads what the upstream sent (the bytes themselves pass on unchanged). Returns true when this
    /// settled a pending upgrade or made room in the pipeline, i.e. held input may move again.
    public func observeUpstream(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isTunnel else { return false }
        let wasWaiting = isWaitingForUpstream
        guard let decision = responses.observe(bytes) else { return wasWaiting && !isWaitingForUpstream }
        if awaitingUpgrade {
            awaitingUpgrade = false
            apply(decision)
        } else if currentMayUpgrade {
            earlyDecision = decision
        }
        return wasWaiting && !isWaitingForUpstream
    }

    /// The requests answered since the last call (`recordsRequests`), oldest first; and those forwarded
    /// and not answered (yet).
    public func takeAnsweredRequests() -> [RequestSummary] { responses.takeAnswered() }
    public var unansweredRequests: [RequestSummary] { responses.unanswered }

    /// Continues with held input once output has been written.
    public func resume() {
        guard inputStart < input.count, rejection == nil else { return }
        let used = input.withUnsafeBytes { process(UnsafeRawBufferPointer(rebasing: $0[inputStart...])) }
        inputStart += used
        if inputStart >= input.count || rejection != nil {
            Self.reset(&input, keepingUpTo: 0)
            inputStart = 0
        }
    }

    /// Output bytes not written yet.
    public var pendingOutputCount: Int { output.count - outputStart }

    /// Input bytes not processed yet.
    public var heldInputCount: Int { input.count - inputStart }

    /// Whether some bytes are still inside the rewriter (output to write or input to process).
    public var isHoldingData: Bool { pendingOutputCount > 0 || heldInputCount > 0 }

    /// Calls `body` with the output not written yet.
    public func withPendingOutput<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        output.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[outputStart...])) }
    }

    /// `count` output bytes were written.
    public func consumeOutput(_ count: Int) {
        outputStart += count
        if outputStart >= output.count {
            Self.reset(&output, keepingUpTo: 4096)
            outputStart = 0
        }
    }

    // MARK: Processing

    /// Processes `bytes` until they are used up, the output reaches its limit, or a rejection; returns
    /// how many were used.
    private func process(_ bytes: UnsafeRawBufferPointer) -> Int {
        if isTunnel {
            output.append(contentsOf: bytes)
            return bytes.count
        }
        var offset = 0
        while offset < bytes.count && rejection == nil && pendingOutputCount < outputLimit && !isWaitingForUpstream {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if isTunnel {
                output.append(contentsOf: rest)
                return bytes.count
            }
            if inBody {
                offset += continueBody(rest)
                continue
            }
            switch scanner.scan(rest) {
            case .needMore:
                partialHead.append(contentsOf: rest)
                offset = bytes.count
            case .complete(let count):
                if partialHead.isEmpty {
                    finishHead(UnsafeRawBufferPointer(rebasing: rest[..<count]))
                } else {
                    partialHead.append(contentsOf: rest[..<count])
                    partialHead.withUnsafeBytes { finishHead($0) }
                    Self.reset(&partialHead, keepingUpTo: 0)
                }
                offset += count
            case .rejected(let reason):
                reject(reason)
            }
        }
        return offset
    }

    /// A complete head that passed the scanner: parse, check, emit.
    private func finishHead(_ head: UnsafeRawBufferPointer) {
        messageComplete = false
        let parsed = head.withMemoryRebound(to: CChar.self) {
            http_parser_execute(parser, &RequestParserCallbacks.settings, $0.baseAddress, $0.count)
        }
        let errno = http_errno(parser.pointee.http_errno)
        if errno != HPE_OK && errno != HPE_PAUSED {
            reject(headFailure(errno, head: head))
            return
        }
        if let reason = check(head) {
            reject(reason)
            return
        }
        guard parsed == head.count else {
            reject(.badRequestLine)
            return
        }
        emitHead(head)
        requestCount += 1
        let method = parser.pointee.method
        currentMayUpgrade =
            parser.pointee.upgrade != 0 || method == HTTP_CONNECT.rawValue
            || scanner.fields.contains {
                Self.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: head[$0.start..<$0.colon]), "upgrade")
            }
        responses.requestForwarded(
            .init(
                isHead: method == HTTP_HEAD.rawValue, mayUpgrade: currentMayUpgrade,
                isConnect: method == HTTP_CONNECT.rawValue,
                summary: recordsRequests ? RequestSummary(head: head, scanner: scanner, method: method, at: now) : nil))
        earlyDecision = nil
        if messageComplete {
            startNextMessage()
        } else {
            inBody = true
        }
    }

    /// Feeds body bytes to the parser; returns how many belong to the current message.
    private func continueBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        messageComplete = false
        let parsed = bytes.withMemoryRebound(to: CChar.self) {
            http_parser_execute(parser, &RequestParserCallbacks.settings, $0.baseAddress, $0.count)
        }
        let errno = http_errno(parser.pointee.http_errno)
        if errno == HPE_PAUSED || messageComplete {
            startNextMessage()
        } else if errno != HPE_OK {
            reject(
                parser.pointee.flags & UInt32(F_CHUNKED.rawValue) != 0 || errno == HPE_INVALID_CHUNK_SIZE
                    ? .badChunk : .badContentLength)
        }
        return parsed
    }

    private func startNextMessage() {
        http_parser_pause(parser, 0)
        inBody = false
        lastChunk = false
        scanner.reset()
        if currentMayUpgrade {
            currentMayUpgrade = false
            if let decision = earlyDecision {
                earlyDecision = nil
                apply(decision)
            } else if responses.failed {
                // The responses cannot be followed, so the upgrade can never be confirmed: stay HTTP.
                apply(.declined)
            } else {
                // Nothing more is parsed until the upstream has answered.
                awaitingUpgrade = true
            }
        }
    }

    private func apply(_ decision: ResponseTracker.Decision) {
        switch decision {
        case .switched:
            isTunnel = true
        case .declined:
            // The next request starts from a clean parser (http-parser treats what follows an upgrade
            // request as another protocol).
            resetParser()
        }
    }

    private func reject(_ reason: RequestRejection) {
        rejection = reason
        Self.reset(&partialHead, keepingUpTo: 0)
    }

    // MARK: Head checks and output

    /// Checks http-parser leaves to the caller. Nil when the head is acceptable.
    private func check(_ head: UnsafeRawBufferPointer) -> RequestRejection? {
        let state = parser.pointee
        guard state.http_major == 1, state.http_minor <= 1 else { return .unsupportedVersion }
        var hosts = 0
        var transferEncodings = 0
        var chunkedOnly = true
        for field in scanner.fields {
            let name = UnsafeRawBufferPointer(rebasing: head[field.start..<field.colon])
            if Self.equalsIgnoringCase(name, "host") {
                hosts += 1
            } else if Self.equalsIgnoringCase(name, "transfer-encoding") {
                transferEncodings += 1
                let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: head[(field.colon + 1)..<field.end]))
                if !Self.equalsIgnoringCase(value, "chunked") { chunkedOnly = false }
            }
        }
        if transferEncodings > 0 && (transferEncodings > 1 || !chunkedOnly || state.http_minor == 0) {
            return .unsupportedTransferEncoding
        }
        if hosts > 1 || (hosts == 0 && state.http_minor == 1) { return .badHost }
        return nil
    }

    /// The rejection for a head http-parser refused.
    private func headFailure(_ errno: http_errno, head: UnsafeRawBufferPointer) -> RequestRejection {
        switch errno {
        case HPE_HEADER_OVERFLOW: return .headTooLarge
        case HPE_INVALID_HEADER_TOKEN: return .badHeader
        case HPE_INVALID_CONTENT_LENGTH: return .badContentLength
        case HPE_UNEXPECTED_CONTENT_LENGTH:
            let hasTransferEncoding = scanner.fields.contains {
                Self.equalsIgnoringCase(
                    UnsafeRawBufferPointer(rebasing: head[$0.start..<$0.colon]), "transfer-encoding")
            }
            return hasTransferEncoding ? .lengthAndChunked : .badContentLength
        case HPE_INVALID_TRANSFER_ENCODING: return .unsupportedTransferEncoding
        case HPE_INVALID_VERSION: return .unsupportedVersion
        default: return .badRequestLine
        }
    }

    private func emitHead(_ head: UnsafeRawBufferPointer) {
        output.reserveCapacity(output.count + head.count + injected.count)
        output.append(contentsOf: head[scanner.requestLineStart..<(scanner.requestLineEnd + 2)])
        for field in scanner.fields {
            if ForwardedHeaders.isManaged(UnsafeRawBufferPointer(rebasing: head[field.start..<field.colon])) {
                continue
            }
            output.append(contentsOf: head[field.start..<(field.end + 2)])
        }
        output.append(contentsOf: injected)
        output.append(13)
        output.append(10)
    }

    // MARK: Parser callbacks (see RequestParserCallbacks)

    func onBody(_ bytes: UnsafeRawBufferPointer) {
        output.append(contentsOf: bytes)
    }

    func onChunkHeader() {
        guard inBody else { return }
        let size = parser.pointee.content_length
        if size == 0 { lastChunk = true }
        output.append(contentsOf: String(size, radix: 16).utf8)
        output.append(13)
        output.append(10)
    }

    func onChunkComplete() {
        guard inBody else { return }
        if lastChunk {
            commitTrailer()
            output.append(contentsOf: trailers)
            Self.reset(&trailers, keepingUpTo: 0)
        }
        output.append(13)
        output.append(10)
    }

    func onTrailerField(_ bytes: UnsafeRawBufferPointer) {
        guard inBody else { return }
        if inTrailerValue { commitTrailer() }
        trailerName.append(contentsOf: bytes)
    }

    func onTrailerValue(_ bytes: UnsafeRawBufferPointer) {
        guard inBody else { return }
        inTrailerValue = true
        trailerValue.append(contentsOf: bytes)
    }

    func onMessageComplete() {
        messageComplete = true
        http_parser_pause(parser, 1)
    }

    private func commitTrailer() {
        defer {
            trailerName.removeAll(keepingCapacity: false)
            trailerValue.removeAll(keepingCapacity: false)
            inTrailerValue = false
        }
        guard !trailerName.isEmpty else { return }
        let managed = trailerName.withUnsafeBytes { ForwardedHeaders.isManaged($0) }
        guard !managed else { return }
        trailers.append(contentsOf: trailerName)
        trailers.append(contentsOf: ": ".utf8)
        trailers.append(contentsOf: trailerValue)
        trailers.append(13)
        trailers.append(10)
    }
}
