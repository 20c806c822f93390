import CertgateHTTP

/// A response certgate writes to the client itself (`--forward-headers` only): a refused request, or an
/// upstream it could not reach.
enum OwnResponse: Equatable {
    case refused(RequestRejection)
    /// 502: the upstream connect failed.
    case badGateway
    /// 504: the upstream connect did not finish within `--connect-timeout`.
    case gatewayTimeout

    var status: Int {
        switch self {
        case .refused(let rejection): return rejection.status
        case .badGateway: return 502
        case .gatewayTimeout: return 504
        }
    }

    /// The complete response (built once per response, never on the data path).
    var bytes: [UInt8] {
        switch self {
        case .refused(let rejection):
            return ErrorResponse.bytes(for: rejection)
        case .badGateway:
            return ErrorResponse.bytes(status: 502, detail: "the upstream cannot be reached")
        case .gatewayTimeout:
            return ErrorResponse.bytes(status: 504, detail: "the upstream did not accept the connection in time")
        }
    }
}
