import Glibc

/// A plain blocking TCP client for driving the admin server from the test thread, the way curl or a
/// Prometheus scraper would. Every read has a receive timeout so a server bug fails a test instead of
/// hanging the suite.
final class BlockingClient {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let code: Int32
        var description: String { "\(operation): \(String(cString: strerror(code)))" }
    }

    private var fd: Int32

    /// Connects to 127.0.0.1:`port`. `receiveBuffer` (bytes) pins the kernel receive buffer, which turns off
    /// its auto-tuning, so a test can be sure the server's writes back up.
    init(port: UInt16, receiveTimeout: Double = 10, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(operation: "socket", code: errno) }
        var timeout = timeval(
            tv_sec: Int(receiveTimeout),
            tv_usec: Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            // A class whose stored properties are all set runs its deinit when init throws: without this
            // the deinit closed the number again, by then possibly another test's socket (the "read: Bad
            // file descriptor" flake in AdminServerTests).
            fd = -1
            throw Failure(operation: "connect", code: code)
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw Failure(operation: "send", code: errno) }
            offset += n
        }
    }

    /// Reads until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try readSome()
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    /// Reads exactly `count` bytes (fewer only if the server closes first).
    func read(count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        while result.count < count {
            let chunk = try readSome(upTo: count - result.count)
            if chunk.isEmpty { break }
            result += chunk
        }
        return result
    }

    /// One read: empty at end of stream; throws on timeout (EAGAIN) or reset.
    func readSome(upTo limit: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n >= 0 { return Array(buffer[..<n]) }
            if errno == EINTR { continue }
            throw Failure(operation: "read", code: errno)
        }
    }

    /// Closes with an immediate reset (SO_LINGER 0), like a client that crashes.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Connects, sends `request`, and reads the whole response.
    static func exchange(port: UInt16, _ request: String) throws -> HTTPReply {
        let client = try BlockingClient(port: port)
        try client.send(request)
        return HTTPReply(try client.readToEnd())
    }
}

/// A response as received on the wire, split into status line, headers (lowercased names) and body.
struct HTTPReply {
    let raw: [UInt8]
    let statusLine: String
    let headers: [String: String]
    let body: [UInt8]

    init(_ raw: [UInt8]) {
        self.raw = raw
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd = raw.count
        var bodyStart = raw.count
        if raw.count >= 4 {
            for index in 0...(raw.count - 4) where Array(raw[index..<(index + 4)]) == separator {
                headEnd = index
                bodyStart = index + 4
                break
            }
        }
        let head = String(decoding: raw[..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        statusLine = lines.first.map(String.init) ?? ""
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers[line[..<colon].lowercased()] = String(value)
        }
        self.headers = headers
        body = Array(raw[bodyStart...])
    }

    var status: Int { Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0 }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}
