/// The known HTTP/2 attacks a session defends against, each limited by nghttp2 or by the session, and
/// counted (`certgate_http2_attacks_total{kind}`). The raw values are the label values.
public enum HTTP2Defence: String, CaseIterable, Sendable {
    /// Streams opened and reset at once, faster than the reset rate limit (CVE-2023-44487).
    case rapidReset = "rapid_reset"
    /// More CONTINUATION frames after one HEADERS than allowed (CVE-2024-27316 and relatives).
    case continuationFlood = "continuation_flood"
    /// A header list that decodes past SETTINGS_MAX_HEADER_LIST_SIZE, or a broken HPACK block.
    case hpackBomb = "hpack_bomb"
    /// Too many settings in one frame, or SETTINGS frames whose ACKs pile up unsent.
    case settingsFlood = "settings_flood"
    /// PING frames whose ACKs pile up unsent.
    case pingFlood = "ping_flood"
}

/// The SETTINGS and limits of a server session.
public struct HTTP2Limits: Sendable, Equatable {
    public var maxConcurrentStreams: UInt32 = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: what a stream may send before certgate has written it upstream.
    public var initialWindowSize: Int32 = 64 * 1024
    /// The connection's receive window (all streams together).
    public var connectionWindowSize: Int32 = 1024 * 1024
    public var maxHeaderListSize: Int = 32 * 1024
    /// HPACK dynamic table size certgate's decoder allows (SETTINGS_HEADER_TABLE_SIZE).
    public var headerTableSize: UInt32 = 4096
    /// RST_STREAM token bucket: burst, then per second.
    public var resetBurst: UInt64 = 200
    public var resetRate: UInt64 = 33
    public var maxContinuations = 8
    /// Settings in one SETTINGS frame.
    public var maxSettings = 32
    /// ACKs (SETTINGS, PING) queued and not sent before the session gives up.
    public var maxOutboundAcks = 1000

    public init() {}
}
