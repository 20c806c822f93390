/// One end of a proxied connection: the TLS client or the plain-TCP upstream.
enum ConnectionSide: Equatable {
    case client
    case upstream
}
