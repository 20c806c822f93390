/// The responses certgate writes itself in `--forward-headers` mode: a refused request, or an upstream
/// that cannot be reached. Always `Connection: close` (the connection ends right after), a short
/// plain-text body, nothing about the client's request echoed back.
public enum ErrorResponse {
    /// The complete response for `status`, with `detail` as the body's second line.
    public static func bytes(status: Int, detail: String) -> [UInt8] {
        let body = "\(reasonPhrase(status))\n\(detail)\n"
        let head =
            "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n"
            + "\r\n"
        return Array((head + body).utf8)
    }

    /// The response for a refused request.
    public static func bytes(for rejection: RequestRejection) -> [UInt8] {
        bytes(status: rejection.status, detail: rejection.explanation)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 431: return "Request Header Fields Too Large"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}
