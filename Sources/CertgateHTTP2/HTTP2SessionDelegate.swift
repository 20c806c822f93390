/// What an `HTTP2Session` reports as it reads the client's frames. Called from inside
/// `HTTP2Session.receive(_:)` and `nextOutput()`; a delegate may call the session's submit functions
/// (they only queue frames) but must not call `receive` or `nextOutput` from here.
public protocol HTTP2SessionDelegate: AnyObject {
    /// A valid request head on a new stream; its body (if any) follows in `http2Body`. Returns where the
    /// response's body goes (`HTTP2Session.appendBody`), empty: the delegate must keep it until
    /// `http2StreamClosed` (the session holds it unretained). The calls about the stream that follow
    /// carry it, so the delegate can find its own state for the stream through `body.owner`.
    func http2Request(_ request: HTTP2Request, stream: Int32) -> HTTP2ResponseBody
    /// A request head was refused and the stream reset (PROTOCOL_ERROR).
    func http2Refused(_ reason: HTTP2RequestError, stream: Int32)
    /// Body bytes of an accepted request. They count against the stream's window until `consume`d.
    func http2Body(_ bytes: UnsafeRawBufferPointer, stream: Int32, body: HTTP2ResponseBody)
    /// The client has sent the whole request (END_STREAM).
    func http2RequestEnded(stream: Int32, body: HTTP2ResponseBody)
    /// The stream is gone (response done, or reset by either side): forget it.
    func http2StreamClosed(stream: Int32, errorCode: UInt32, body: HTTP2ResponseBody)
    /// Response body bytes were taken from the stream's buffer into DATA frames (room for more).
    func http2BodyTaken(stream: Int32, body: HTTP2ResponseBody)
    /// A defence against a known attack fired.
    func http2Defended(_ defence: HTTP2Defence)
}
