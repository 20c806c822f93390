import ArgumentParser
import CertgateConfig
import CertgatePosix
import Glibc

/// `certgate health`: `GET /healthz` on the admin listener of the configuration given, for a container
/// HEALTHCHECK or a Kubernetes exec probe in an image without curl.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask a running certgate's admin listener whether it is healthy (GET /healthz).",
        usage: "certgate health [<options>]",
        discussion: SettingArguments.discussion(
            """
            Reads the same configuration as run (give it the same --config, flags or CERTGATE_* \
            variables), connects to the --admin address (a wildcard address means this host's loopback) \
            and sends GET /healthz. Exits 0 when the answer is 200, 1 otherwise (no --admin, nothing \
            listening, no answer within 3 seconds, another status), with one line on stderr saying why.
            """)
    )

    @OptionGroup var options: SettingArguments

    func run() throws {
        try runReportingFailures {
            let configuration = try options.resolve()
            guard let admin = configuration.admin else {
                throw StartupFailure("no admin listener configured (--admin): nothing to ask")
            }
            let status = try HealthProbe(endpoint: admin, timeoutSeconds: 3).status()
            guard status == 200 else {
                throw StartupFailure("GET /healthz on \(admin) answered \(status)")
            }
        }
    }
}

/// One blocking `GET /healthz` over plain HTTP/1.1 with a timeout on every step.
struct HealthProbe {
    let endpoint: SocketEndpoint
    let timeoutSeconds: Int

    /// Where to connect for a listener bound to `host`: its loopback for a wildcard address.
    static func connectHost(for host: String) -> String {
        switch host {
        case "", "0.0.0.0", "*": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return host
        }
    }

    /// The HTTP status code of the answer.
    func status() throws -> Int {
        let host = Self.connectHost(for: endpoint.host)
        let address: ResolvedAddress
        do {
            address = try ResolvedAddress.resolve(host: host, port: endpoint.port)[0]
        } catch {
            throw StartupFailure("--admin \(endpoint): \(error)")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StartupFailure("socket: \(SystemError.message(for: errno))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
        guard address.withSockAddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            throw StartupFailure("connect to \(address): \(SystemError.message(for: errno))")
        }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: \(endpoint)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else {
            throw StartupFailure("send to \(address): \(SystemError.message(for: errno))")
        }
        // The status line is all we need; read until it is complete or the server closes.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = count == 0 ? "closed before answering" : SystemError.message(for: errno)
                throw StartupFailure("reading from \(address): \(reason)")
            }
            received += buffer[..<count]
        }
        return try Self.parseStatus(received)
    }

    /// The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK").
    static func parseStatus(_ bytes: [UInt8]) throws -> Int {
        let line = String(
            decoding: bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else {
            throw StartupFailure("not an HTTP answer: \(line.prefix(80))")
        }
        return code
    }
}
