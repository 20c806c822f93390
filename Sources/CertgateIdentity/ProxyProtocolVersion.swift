/// Which PROXY protocol header (HAProxy's PROXY protocol specification) to send ahead of the
/// upstream byte stream, if any.
public enum ProxyProtocolVersion: String, Sendable, CaseIterable {
    /// No header.
    case off
    /// Version 1: one human-readable text line, `PROXY TCP4 ...\r\n`. Carries addresses only.
    case v1
    /// Version 2: binary, with type-length-value extensions (ALPN, SNI, TLS details).
    case v2
}
