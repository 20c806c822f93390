internal import CNGHTTP2

/// nghttp2's callbacks for `HTTP2Session`: plain C functions (non-capturing closures) that find the
/// session through user_data and do the work there.
enum HTTP2SessionCallbacks {
    /// Runs `body` with the session behind `userData`, without retaining it (it is alive: it called).
    @inline(__always)
    static func session<R>(_ userData: UnsafeMutableRawPointer?, _ body: (HTTP2Session) -> R) -> R {
        Unmanaged<HTTP2Session>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
    }

    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks) { _, header, userData in
            HTTP2SessionCallbacks.session(userData) { owner in
                owner.receivingFrameType = header!.pointee.type
                if owner.receivingFrameType == UInt8(NGHTTP2_RST_STREAM.rawValue) { owner.resetsReceived &+= 1 }
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let frame = frame!.pointee
            guard frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), frame.headers.cat == NGHTTP2_HCAT_REQUEST else {
                return 0
            }
            HTTP2SessionCallbacks.session(userData) { owner in
                owner.builder.reset()
                owner.building = true
                owner.builderStream = frame.hd.stream_id
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            let stream = frame!.pointee.hd.stream_id
            HTTP2SessionCallbacks.session(userData) { owner in
                // Trailers (and anything not a request head) are not forwarded.
                guard stream == owner.builderStream, owner.building else { return }
                let bomb = owner.builder.addReportingOverflow(
                    name: UnsafeRawBufferPointer(start: name, count: nameLength),
                    value: UnsafeRawBufferPointer(start: value, count: valueLength))
                if bomb { owner.delegate?.http2Defended(.hpackBomb) }
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            HTTP2SessionCallbacks.session(userData) { $0.frameReceived(frame!.pointee) }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, stream, data, length, userData in
            HTTP2SessionCallbacks.session(userData) { owner in
                if let body = owner.responseBody(stream: stream) {
                    owner.delegate?.http2Body(
                        UnsafeRawBufferPointer(start: data, count: length), stream: stream, body: body)
                } else {
                    // Nobody will write these: the window opens again at once.
                    owner.consume(stream: stream, count: length)
                }
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, stream, errorCode, userData in
            HTTP2SessionCallbacks.session(userData) { owner in
                if owner.builderStream == stream { owner.building = false }
                if let body = owner.responseBody(stream: stream) {
                    owner.openStreams -= 1
                    owner.delegate?.http2StreamClosed(stream: stream, errorCode: errorCode, body: body)
                }
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            let frame = frame!.pointee
            guard frame.hd.type == UInt8(NGHTTP2_GOAWAY.rawValue) else { return 0 }
            let owner = Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
            // A GOAWAY with an error certgate did not ask for: one of nghttp2's limits fired.
            if !owner.submittedGoAway, frame.goaway.error_code != UInt32(NGHTTP2_NO_ERROR.rawValue) {
                owner.submittedGoAway = true
                let debug = frame.goaway.opaque_data.map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: frame.goaway.opaque_data_len), as: UTF8.self)
                }
                if let defence = HTTP2SessionCallbacks.defence(
                    goAwayDebug: debug ?? "", errorCode: frame.goaway.error_code, frameType: owner.receivingFrameType,
                    resetsReceived: owner.resetsReceived, resetBurst: owner.limits.resetBurst)
                {
                    owner.delegate?.http2Defended(defence)
                }
            }
            return 0
        }
    }

    /// Which limit a GOAWAY that nghttp2 sent by itself enforced, from its debug text: too many settings
    /// in one frame, or the RST_STREAM rate limit (INTERNAL_ERROR without text, once the client has sent
    /// at least the burst's worth of RST_STREAM frames). The frame being received when the GOAWAY goes
    /// out says little: nghttp2 goes on parsing the rest of the read (and certgate reads up to 16 times
    /// before it flushes), so it is often a later HEADERS.
    static func defence(
        goAwayDebug: String, errorCode: UInt32, frameType: UInt8, resetsReceived: UInt64, resetBurst: UInt64
    ) -> HTTP2Defence? {
        if goAwayDebug.hasPrefix("SETTINGS: too many") { return .settingsFlood }
        guard goAwayDebug.isEmpty, errorCode == UInt32(NGHTTP2_INTERNAL_ERROR.rawValue) else { return nil }
        if frameType == UInt8(NGHTTP2_RST_STREAM.rawValue) || resetsReceived >= resetBurst { return .rapidReset }
        return nil
    }

    /// The data source of every response body: what the stream's buffer holds, EOF once it ended,
    /// NGHTTP2_ERR_DEFERRED while it is empty and more will come.
    static let readBody: nghttp2_data_source_read_callback = { session, stream, buffer, length, flags, _, userData in
        guard let pointer = nghttp2_session_get_stream_user_data(session, stream) else {
            flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
            return 0
        }
        let taken = Unmanaged<HTTP2ResponseBody>.fromOpaque(pointer)._withUnsafeGuaranteedRef { body in
            let taken = body.take(into: UnsafeMutableRawBufferPointer(start: buffer, count: length))
            if body.count == 0 {
                if body.ended {
                    flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
                } else if taken == 0 {
                    body.deferred = true
                    return Int(NGHTTP2_ERR_DEFERRED.rawValue)
                }
            }
            return taken
        }
        if taken < 0 { return taken }
        if taken > 0 {
            let body = Unmanaged<HTTP2ResponseBody>.fromOpaque(pointer)
            HTTP2SessionCallbacks.session(userData) { owner in
                body._withUnsafeGuaranteedRef { owner.delegate?.http2BodyTaken(stream: stream, body: $0) }
            }
        }
        return taken
    }
}

extension HTTP2Session {
    /// A complete frame: a request head is accepted or refused; END_STREAM ends the request.
    func frameReceived(_ frame: nghttp2_frame) {
        let stream = frame.hd.stream_id
        let endsStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(frame.hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            if stream == builderStream, building {
                building = false
                switch builder.finish(endsStream: endsStream) {
                case .success(let request):
                    guard let body = delegate?.http2Request(request, stream: stream) else { return }
                    nghttp2_session_set_stream_user_data(raw, stream, Unmanaged.passUnretained(body).toOpaque())
                    openStreams += 1
                case .failure(let reason):
                    reset(stream: stream, errorCode: UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
                    delegate?.http2Refused(reason, stream: stream)
                    return
                }
            }
            if endsStream, let body = responseBody(stream: stream) {
                delegate?.http2RequestEnded(stream: stream, body: body)
            }
        case NGHTTP2_DATA.rawValue:
            if endsStream, let body = responseBody(stream: stream) {
                delegate?.http2RequestEnded(stream: stream, body: body)
            }
        default:
            break
        }
    }
}
