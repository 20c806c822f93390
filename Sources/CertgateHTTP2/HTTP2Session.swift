internal import CNGHTTP2

/// One client's HTTP/2 connection, server side: nghttp2's session fed with `receive(_:)` (mem_recv) and
/// drained with `nextOutput()` (mem_send). nghttp2 does the framing, HPACK, flow control, stream states
/// and the HTTP messaging checks; this type adds certgate's request rules (`HTTP2RequestBuilder`), holds
/// the response bodies waiting for DATA frames, and notices which defence fired.
///
/// Flow control is manual (NGHTTP2_OPT_NO_AUTO_WINDOW_UPDATE): the window a stream's body uses opens
/// again only when the owner calls `consume`, after it has written those bytes upstream, so a stream
/// never has more than SETTINGS_INITIAL_WINDOW_SIZE bytes buffered in certgate.
///
/// Loop-confined; callbacks reach it through nghttp2's user_data (an unretained reference).
public final class HTTP2Session {
    /// Unowned, not weak: the delegate owns its session (a `weak` reference would give it a side table),
    /// and unchecked (a checked one costs an atomic operation on every use).
    public unowned(unsafe) var delegate: HTTP2SessionDelegate?
    let raw: OpaquePointer
    let limits: HTTP2Limits
    /// The request head being received, and its stream: one at a time, since a header block (HEADERS and
    /// its CONTINUATIONs) cannot be interleaved with any other frame.
    /// `building`: a request head is being received into `builder` (kept from head to head, with its
    /// storage: the delegate copies what it keeps of a request).
    /// Stored, not `lazy`: a lazy property is mutated through a copy, so every field added would copy
    /// the block.
    var builder: HTTP2RequestBuilder
    var building = false
    var builderStream: Int32 = 0
    /// Streams whose request was handed to the delegate and that are not closed yet. Each has its
    /// `HTTP2ResponseBody` as nghttp2's stream user data (unretained: the delegate owns it).
    public internal(set) var openStreams = 0
    /// The type of the frame being received (for telling what a flood error was about).
    var receivingFrameType: UInt8 = 0
    /// RST_STREAM frames the client has sent on this connection.
    var resetsReceived: UInt64 = 0
    /// certgate submitted a GOAWAY itself (a GOAWAY with an error it did not submit is a defence).
    var submittedGoAway = false
    /// The defence the last failed `receive` tripped, if it was one.
    public private(set) var failure: Int32 = 0

    public init(limits: HTTP2Limits = HTTP2Limits()) {
        self.limits = limits
        builder = HTTP2RequestBuilder(limit: limits.maxHeaderListSize)
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        HTTP2SessionCallbacks.install(callbacks!)
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_stream_reset_rate_limit(option, limits.resetBurst, limits.resetRate)
        nghttp2_option_set_max_continuations(option, limits.maxContinuations)
        nghttp2_option_set_max_settings(option, limits.maxSettings)
        nghttp2_option_set_max_outbound_ack(option, limits.maxOutboundAcks)
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)
        var session: OpaquePointer?
        let placeholder = UnsafeMutableRawPointer(bitPattern: 1)
        nghttp2_session_server_new2(&session, callbacks, placeholder, option)
        nghttp2_option_del(option)
        nghttp2_session_callbacks_del(callbacks)
        raw = session!
        nghttp2_session_set_user_data(raw, Unmanaged.passUnretained(self).toOpaque())
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: limits.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(limits.initialWindowSize)),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(limits.maxHeaderListSize)),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE.rawValue), value: limits.headerTableSize),
        ]
        nghttp2_submit_settings(raw, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(raw, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, limits.connectionWindowSize)
    }

    deinit {
        nghttp2_session_del(raw)
    }

    /// Whether the session still wants to read from, or write to, the client; both false: close.
    public var wantsRead: Bool { nghttp2_session_want_read(raw) != 0 }
    public var wantsWrite: Bool { nghttp2_session_want_write(raw) != 0 }

    /// Feeds bytes read from the client. False on a connection error: the session has queued its
    /// GOAWAY (send what `nextOutput` gives, then close); `failure` holds nghttp2's error code.
    public func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let result = nghttp2_session_mem_recv(raw, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard result < 0 else { return true }
        failure = Int32(result)
        switch Int32(result) {
        case NGHTTP2_ERR_FLOODED.rawValue:
            delegate?.http2Defended(receivingFrameType == UInt8(NGHTTP2_PING.rawValue) ? .pingFlood : .settingsFlood)
        case NGHTTP2_ERR_TOO_MANY_SETTINGS.rawValue:
            delegate?.http2Defended(.settingsFlood)
        case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue:
            delegate?.http2Defended(.continuationFlood)
        case NGHTTP2_ERR_HEADER_COMP.rawValue:
            delegate?.http2Defended(.hpackBomb)
        default:
            break
        }
        // A fatal error leaves nothing to send; otherwise a GOAWAY goes out before the close.
        if nghttp2_session_want_write(raw) == 0 && !submittedGoAway {
            terminate(errorCode: UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
        }
        return false
    }

    /// The next bytes to send to the client, valid until the next call; nil when nothing is queued. The
    /// caller must send them all (keeping what the socket refuses) before asking again.
    public func nextOutput() -> UnsafeRawBufferPointer? {
        var data: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(raw, &data)
        guard count > 0, let data else { return nil }
        return UnsafeRawBufferPointer(start: data, count: count)
    }

    // MARK: Responses

    /// The response body of an accepted stream that is still open (nil otherwise).
    public func responseBody(stream: Int32) -> HTTP2ResponseBody? {
        guard let pointer = nghttp2_session_get_stream_user_data(raw, stream) else { return nil }
        return Unmanaged<HTTP2ResponseBody>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Submits a response's HEADERS; `hasBody`: DATA follows from the stream's `HTTP2ResponseBody`
    /// (`appendBody`/`endBody`).
    @discardableResult
    public func submitResponse(stream: Int32, status: Int, fields: HTTP2FieldBlock, hasBody: Bool) -> Bool {
        var provider = nghttp2_data_provider()
        provider.read_callback = HTTP2SessionCallbacks.readBody
        let result = Self.withHeaderBlock(status: status, fields) { nva, count in
            hasBody
                ? nghttp2_submit_response(raw, stream, nva, count, &provider)
                : nghttp2_submit_response(raw, stream, nva, count, nil)
        }
        return result == 0
    }

    public func appendBody(stream: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let body = responseBody(stream: stream) else { return }
        appendBody(body, stream: stream, bytes)
    }

    public func endBody(stream: Int32) {
        guard let body = responseBody(stream: stream) else { return }
        endBody(body, stream: stream)
    }

    /// `appendBody(stream:_:)` for a caller that holds the stream's body already (no lookup).
    public func appendBody(_ body: HTTP2ResponseBody, stream: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !body.ended else { return }
        body.append(bytes)
        resumeIfDeferred(body, stream: stream)
    }

    /// `endBody(stream:)` for a caller that holds the stream's body already.
    public func endBody(_ body: HTTP2ResponseBody, stream: Int32) {
        guard !body.ended else { return }
        body.ended = true
        resumeIfDeferred(body, stream: stream)
    }

    private func resumeIfDeferred(_ body: HTTP2ResponseBody, stream: Int32) {
        guard body.deferred else { return }
        body.deferred = false
        nghttp2_session_resume_data(raw, stream)
    }

    // MARK: Streams and the connection

    /// Forgets the response body of a stream that is still open (its delegate is going away with the
    /// connection): nothing the session does later reaches the body.
    public func detach(stream: Int32) {
        nghttp2_session_set_stream_user_data(raw, stream, nil)
    }

    /// `count` body bytes of `stream` are written upstream: the client may send that much more.
    public func consume(stream: Int32, count: Int) {
        guard count > 0 else { return }
        if nghttp2_session_consume(raw, stream, count) != 0 { consumeConnection(count) }
    }

    /// Body bytes of a stream that went away before they were written (the connection window only).
    public func consumeConnection(_ count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume_connection(raw, count)
    }

    public func reset(stream: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(raw, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, errorCode)
    }

    /// Graceful GOAWAY (drain): no new stream is accepted; those already received finish.
    public func goAway() {
        guard !submittedGoAway else { return }
        submittedGoAway = true
        nghttp2_submit_goaway(
            raw, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(raw),
            UInt32(NGHTTP2_NO_ERROR.rawValue), nil, 0)
    }

    /// GOAWAY with an error; the session wants nothing more once it is sent.
    public func terminate(errorCode: UInt32) {
        submittedGoAway = true
        nghttp2_session_terminate_session(raw, errorCode)
    }

    static var statusName: StaticString { ":status" }

    /// The nghttp2 name/value list of a response head (`:status`, then `fields`), valid inside `body`:
    /// it points into the block's own storage (nghttp2 copies what it keeps).
    static func withHeaderBlock<R>(
        status: Int, _ fields: HTTP2FieldBlock, _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        // Three digits (RFC 9110 §15: a status code is three digits), on the stack.
        let code = min(max(status, 100), 999)
        let digits: (UInt8, UInt8, UInt8) = (UInt8(48 + code / 100), UInt8(48 + code / 10 % 10), UInt8(48 + code % 10))
        return withUnsafeBytes(of: digits) { digits in
            statusName.withUTF8Buffer { statusName in
                fields.bytes.withUnsafeBufferPointer { storage in
                    withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: fields.count + 1) { nva in
                        let none = UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                        nva[0] = nghttp2_nv(
                            name: UnsafeMutablePointer(mutating: statusName.baseAddress!),
                            value: UnsafeMutablePointer(
                                mutating: digits.baseAddress!.assumingMemoryBound(to: UInt8.self)),
                            namelen: statusName.count, valuelen: 3, flags: none)
                        // NGHTTP2_NV_FLAG_NO_COPY_* are not set: nghttp2 copies names and values.
                        let base = UnsafeMutablePointer(mutating: storage.baseAddress ?? statusName.baseAddress!)
                        for (index, span) in fields.spans.enumerated() {
                            nva[index + 1] = nghttp2_nv(
                                name: base + span.nameStart, value: base + span.valueStart,
                                namelen: span.valueStart - span.nameStart, valuelen: span.end - span.valueStart,
                                flags: none)
                        }
                        return body(UnsafePointer(nva.baseAddress!), nva.count)
                    }
                }
            }
        }
    }
}
