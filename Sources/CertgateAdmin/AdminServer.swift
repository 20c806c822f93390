import CertgatePosix
import Glibc
import LibEV
import Logging

/// The admin HTTP listener: health, metrics and (later) control endpoints, served on the control thread's
/// event loop next to signal handling.
///
/// It must never block that loop, so everything is non-blocking and driven by libev callbacks, and every
/// client is bounded (`AdminServerOptions`): one request per connection, a deadline per connection, a cap
/// on open connections. Routing is not its business: `handler` answers every well-formed request (see
/// `AdminRoutes`); malformed ones are answered here with the parser's 4xx.
///
/// Loop-confined (not Sendable): create, start and stop it on the loop's thread.
public final class AdminServer: LoopService {
    private enum State {
        case bound
        case accepting
        case stopped
    }

    /// New connections accepted per readiness callback, so a connection flood cannot starve the other
    /// watchers of the control loop within one iteration.
    private static let acceptBatch = 32

    /// The port actually bound (the kernel's choice when the address asked for port 0).
    public let port: UInt16
    /// The address the listener was asked to bind.
    public let address: ResolvedAddress
    public let options: AdminServerOptions

    private let loop: EventLoop
    private let logger: Logger
    private let handler: (AdminRequest) -> AdminResponse
    private var listener: Int32
    /// Paused with a back-off (50 ms doubling to 1 s) after an accept error, so a pending connection
    /// that cannot be accepted does not make the control loop spin.
    private var listenerWatcher: ListenerWatcher?
    private let reserve = DescriptorReserve()
    private var connections: [ObjectIdentifier: AdminConnection] = [:]
    private var lastConnectionID: UInt64 = 0
    private var state = State.bound

    /// Binds and listens at once, so a busy or forbidden address fails start-up instead of surfacing later
    /// on the loop. Nothing is accepted until `start()`. `logger` gets debug lines for per-connection
    /// problems (refused requests, timeouts, resets) and never anything per successful request above debug.
    public init(
        loop: EventLoop,
        address: ResolvedAddress,
        options: AdminServerOptions = AdminServerOptions(),
        logger: Logger = Logger(label: "certgate.admin"),
        handler: @escaping (AdminRequest) -> AdminResponse
    ) throws(SystemError) {
        let fd = try Socket.listen(on: address, reusePort: false, backlog: options.backlog)
        guard let port = Socket.localPort(of: fd) else {
            let code = errno
            Socket.close(fd)
            throw SystemError("getsockname", errno: code)
        }
        self.loop = loop
        self.address = address
        self.options = options
        self.logger = logger
        self.handler = handler
        self.listener = fd
        self.port = port
    }

    deinit {
        stop()
    }

    /// Connections currently open (reading, writing or lingering).
    public var connectionCount: Int { connections.count }

    /// Starts accepting. A no-op when already started or stopped.
    public func start() {
        guard state == .bound else { return }
        state = .accepting
        let watcher = ListenerWatcher(loop: loop, fd: listener) { [unowned self] in self.acceptReady() }
        listenerWatcher = watcher
        watcher.start()
        logger.debug("admin listener accepting", metadata: ["address": "\(address)", "port": "\(port)"])
    }

    /// Closes the listener and every open admin connection. Idempotent; safe before `start()` and from
    /// inside a handler.
    public func stop() {
        guard state != .stopped else { return }
        state = .stopped
        listenerWatcher?.stop()
        listenerWatcher = nil
        Socket.close(listener)
        listener = -1
        let open = connections
        connections.removeAll()
        for connection in open.values {
            connection.abort()
        }
    }

    private func acceptReady() {
        var attempts = 0
        while state == .accepting && attempts < Self.acceptBatch {
            attempts += 1
            switch Socket.accept(from: listener) {
            case .done(let fd):
                listenerWatcher?.accepted()
                admit(Int32(fd))
            case .wouldBlock, .endOfStream:
                return
            case .failed(let code):
                if !acceptFailed(code) { return }
            }
        }
    }

    /// Handles an accept error; returns whether to keep accepting in this callback.
    private func acceptFailed(_ code: Int32) -> Bool {
        switch code {
        case ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP,
            ENETUNREACH, ETIMEDOUT:
            // That one connection failed before we got it; the next one may be fine.
            return true
        case EMFILE, ENFILE:
            // Shed the pending connection with the spare descriptor (that client gets a fast close), then
            // give the process a moment to free descriptors.
            let shed = reserve.shedOne(from: listener)
            let pause = listenerWatcher?.pause() ?? .zero
            logger.debug(
                "admin accept out of descriptors",
                metadata: ["shed": "\(shed)", "pause_ms": "\(Int(pause.seconds * 1000))"])
            return false
        default:
            // ENOBUFS, ENOMEM and anything unexpected: the same back-off, without shedding.
            let pause = listenerWatcher?.pause() ?? .zero
            logger.debug(
                "admin accept failed",
                metadata: ["error": "\(SystemError.message(for: code))", "pause_ms": "\(Int(pause.seconds * 1000))"])
            return false
        }
    }

    private func admit(_ fd: Int32) {
        guard connections.count < options.maxConnections else {
            Socket.close(fd)
            logger.debug(
                "admin connection limit reached; closed new connection",
                metadata: ["limit": "\(options.maxConnections)"])
            return
        }
        lastConnectionID &+= 1
        let connection = AdminConnection(
            id: lastConnectionID, fd: fd, loop: loop, options: options, logger: logger,
            handler: handler)
        connection.onClose = { [unowned self] closed in
            self.connections[ObjectIdentifier(closed)] = nil
            // A descriptor was just freed: a listener paused for lack of one may try again.
            self.listenerWatcher?.resumeEarly()
        }
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }
}
