internal import COpenSSL

/// The contents of OpenSSL's per-thread error queue at the moment a call failed.
///
/// OpenSSL reports failures by pushing entries on a thread-local queue; a stale entry left there makes the
/// next `SSL_get_error` lie. So every operation clears the queue first (`OpenSSLError.clearQueue()`) and
/// drains it on failure (`OpenSSLError.drain()`), leaving it empty either way.
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

    /// Takes every entry off the calling thread's queue.
    static func drain() -> OpenSSLError {
        var entries: [String] = []
        var first: UInt = 0
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if first == 0 { first = code }
            let library = ERR_lib_error_string(code).map { String(cString: $0) } ?? "lib(\(ERR_GET_LIB(code)))"
            let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "reason(\(ERR_GET_REASON(code)))"
            entries.append("\(library): \(reason)")
        }
        return OpenSSLError(entries: entries, firstCode: first)
    }

    static func clearQueue() {
        ERR_clear_error()
    }
}
