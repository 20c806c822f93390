internal import COpenSSL
internal import COpenSSLShims

/// The contents of OpenSSL's per-thread error queue at the moment a call failed.
///
/// OpenSSL reports failures by pushing entries on a thread-local queue; a stale entry left there makes the
/// next `SSL_get_error` lie. So every operation clears the queue first (`OpenSSLError.clearQueue()`) and
/// drains it on failure (`OpenSSLError.drain()`), leaving it empty either way.
///
/// Code decides by `library` and `reasonCode` (OpenSSL's packed codes); the text is for people only.
public struct OpenSSLError: Error, Equatable, CustomStringConvertible {
    /// One entry per queued error, oldest first: "library: reason", e.g. "SSL routines: wrong version number".
    public let entries: [String]
    /// The packed code of the oldest error (0 when the queue was empty).
    public let firstCode: UInt

    public var description: String {
        entries.isEmpty ? "unknown OpenSSL error" : entries.joined(separator: "; ")
    }

    /// The reason of the oldest entry alone, e.g. "wrong version number".
    public var reason: String {
        guard firstCode != 0, let text = ERR_reason_error_string(firstCode) else { return description }
        return String(cString: text)
    }

    /// The library of the oldest error (`ERR_LIB_SSL`, `ERR_LIB_X509`, ...); 0 when the queue was empty.
    var library: Int32 { COpenSSLShims_ERR_GET_LIB(firstCode) }

    /// The library-specific reason code of the oldest error (`SSL_R_...`, `X509_R_...`).
    var reasonCode: Int32 { COpenSSLShims_ERR_GET_REASON(firstCode) }

    /// Whether the oldest error is `library`'s `reasonCode`.
    func `is`(library: Int32, reason: Int32) -> Bool {
        firstCode != 0 && self.library == library && reasonCode == reason
    }

    /// Takes every entry off the calling thread's queue.
    static func drain() -> OpenSSLError {
        var entries: [String] = []
        var first: UInt = 0
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if first == 0 { first = code }
            let library =
                ERR_lib_error_string(code).map { String(cString: $0) }
                ?? "lib(\(COpenSSLShims_ERR_GET_LIB(code)))"
            let reason =
                ERR_reason_error_string(code).map { String(cString: $0) }
                ?? "reason(\(COpenSSLShims_ERR_GET_REASON(code)))"
            entries.append("\(library): \(reason)")
        }
        return OpenSSLError(entries: entries, firstCode: first)
    }

    /// Empties the calling thread's queue. It is nearly always empty already (every failure drains it),
    /// and `ERR_clear_error` on an empty queue still frees its 16 slots one by one (32 `free` calls, about
    /// 500 instructions): with three TLS calls per keep-alive request that was 4 % of the request. A peek
    /// is a few dozen.
    @inline(__always)
    static func clearQueue() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }
}
