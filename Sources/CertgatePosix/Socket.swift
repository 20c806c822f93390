internal import CPosixShims
import Glibc

/// Non-blocking TCP socket operations used by the data plane and the admin listener.
///
/// Every function retries EINTR itself and reports EAGAIN as `.wouldBlock`; callers never look at
/// `errno`. Descriptors are always created non-blocking and close-on-exec.
public enum Socket {
    /// Creates, configures, binds and listens. `reusePort` lets each worker own a listener on the same
    /// address (the kernel spreads new connections across them). The listener has TCP_NODELAY set, and
    /// Linux hands it on to every accepted socket: no `setsockopt` per connection.
    public static func listen(on address: ResolvedAddress, reusePort: Bool, backlog: Int32 = 4096)
        throws(SystemError) -> Int32
    {
        let fd = socket(
            address.family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", errno: errno) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        setNoDelay(fd)
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SystemError("bind", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw SystemError("listen", errno: code)
        }
        return fd
    }

    /// Fails with `EADDRINUSE` when something already listens on `address`, including another process's
    /// `SO_REUSEPORT` group (which a `SO_REUSEPORT` bind would silently join, splitting the traffic
    /// between two proxies). Binds a plain socket there and closes it again.
    public static func checkAvailable(_ address: ResolvedAddress) throws(SystemError) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", errno: errno) }
        defer { close(fd) }
        var on: Int32 = 1
        // SO_REUSEADDR: connections of an earlier run lingering in TIME_WAIT are not "in use".
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else { throw SystemError("bind", errno: errno) }
    }

    /// The local port a socket is bound to (after binding port 0, the one the kernel chose).
    public static func localPort(of fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            return nil
        }
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec descriptor: `.done(fd)`.
    public static func accept(from listener: Int32) -> IOResult {
        while true {
            let fd = CPosixShims_accept4(
                listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 { return .done(Int(fd)) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Starts a non-blocking connect. `.done(fd)` when already connected, `.wouldBlock` is never returned:
    /// an in-progress connect is reported through `pending`.
    public static func connect(to address: ResolvedAddress) -> ConnectResult {
        let fd = socket(
            address.family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        setNoDelay(fd)
        while true {
            let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
            if rc == 0 { return .connected(fd) }
            switch errno {
            case EINTR: continue
            case EINPROGRESS: return .inProgress(fd)
            case let code:
                close(fd)
                return .failed(code)
            }
        }
    }

    /// The pending error of a socket (`SO_ERROR`), 0 when the connect succeeded.
    public static func pendingError(of fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { return errno }
        return code
    }

    /// Disables Nagle: a proxy must not add latency to small writes.
    public static func setNoDelay(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// TCP keepalive as `--tcp-keepalive` sets it: the first probe after `idle` seconds without traffic,
    /// then one every `interval` seconds; `count` unanswered probes drop the connection. Sockets accepted
    /// from a listener inherit all four options, so setting them on the listener covers its connections.
    public static func setKeepAlive(_ fd: Int32, idle: Int32 = 60, interval: Int32 = 10, count: Int32 = 6) {
        let size = socklen_t(MemoryLayout<Int32>.size)
        var on: Int32 = 1
        var idle = idle
        var interval = interval
        var count = count
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, size)
    }

    /// Turns TCP keepalive off.
    public static func clearKeepAlive(_ fd: Int32) {
        var off: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &off, socklen_t(MemoryLayout<Int32>.size))
    }

    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n > 0 { return .done(n) }
            if n == 0 { return .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    public static func write(_ fd: Int32, from buffer: UnsafeRawPointer, count: Int) -> IOResult {
        while true {
            let n = send(fd, buffer, count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .done(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Half-closes the sending side (TCP FIN); the receiving side stays open.
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

/// Outcome of `Socket.connect`.
public enum ConnectResult: Equatable {
    case connected(Int32)
    case inProgress(Int32)
    case failed(Int32)
}
