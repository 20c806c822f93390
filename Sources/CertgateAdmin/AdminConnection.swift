import CertgatePosix
import LibEV
import Logging

/// One accepted admin connection: read one request, answer it, close.
///
/// A small state machine driven only by its `IOWatcher` and `TimerWatcher` callbacks, so nothing here ever
/// blocks the control loop: reading → writing → lingering → closed. One timer bounds every phase. Any
/// failure closes this connection and nothing else. Owned by `AdminServer`, which drops it from its table
/// through `onClose`; the watchers' closures capture it `unowned` because it owns them.
final class AdminConnection {
    private enum State {
        case reading
        case writing
        case lingering
        case closed
    }

    /// Bytes read from the socket per read call (on the stack).
    private static let readChunk = 4096
    /// Bytes discarded while lingering before the connection is closed anyway.
    private static let maxLingerBytes = 256 * 1024

    let id: UInt64
    private let fd: Int32
    private let options: AdminServerOptions
    private let handler: (AdminRequest) -> AdminResponse
    private var logger: Logger
    private var io: IOWatcher!
    private var timer: TimerWatcher!
    private var parser: AdminRequestParser
    private var state = State.reading
    /// Bytes still to send: the response, preceded by whatever part of a "100 Continue" did not fit.
    private var output: [UInt8] = []
    private var written = 0
    private var sentContinue = false
    private var discarded = 0
    /// Called once when the connection closes by itself (not when the server aborts it).
    var onClose: ((AdminConnection) -> Void)?

    init(
        id: UInt64, fd: Int32, loop: EventLoop, options: AdminServerOptions, logger: Logger,
        handler: @escaping (AdminRequest) -> AdminResponse
    ) {
        self.id = id
        self.fd = fd
        self.options = options
        self.handler = handler
        self.logger = logger
        self.logger[metadataKey: "admin.connection"] = "\(id)"
        self.parser = AdminRequestParser(limits: options.limits)
        io = IOWatcher(loop: loop, fd: fd) { [unowned self] _ in self.descriptorReady() }
        timer = TimerWatcher(loop: loop) { [unowned self] in self.timerFired() }
    }

    var isClosed: Bool { state == .closed }

    func start() {
        io.watch(.read)
        timer.start(after: options.requestTimeout)
    }

    /// Closes without notifying the owner: the server is shutting down and already forgot this connection.
    func abort() {
        close(reason: nil, notify: false)
    }

    private func descriptorReady() {
        switch state {
        case .reading: readRequest()
        case .writing: flush()
        case .lingering: discardInput()
        case .closed: break
        }
    }

    private func timerFired() {
        switch state {
        case .reading:
            if parser.bytesReceived == 0 {
                close(reason: "no request before the timeout")
            } else {
                logger.debug("admin request incomplete at timeout", metadata: ["bytes": "\(parser.bytesReceived)"])
                send(.requestTimeout, includeBody: true)
            }
        case .writing:
            close(reason: "response not taken before the timeout")
        case .lingering:
            close(reason: nil)
        case .closed:
            break
        }
    }

    // MARK: Reading

    private enum ReadStep {
        case outcome(AdminRequestParser.Outcome)
        case wouldBlock
        case endOfStream
        case failed(Int32)
    }

    private func readOnce() -> ReadStep {
        withUnsafeTemporaryAllocation(byteCount: Self.readChunk, alignment: 1) { buffer in
            switch Socket.read(fd, into: buffer.baseAddress!, count: buffer.count) {
            case .done(let count): .outcome(parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])))
            case .wouldBlock: .wouldBlock
            case .endOfStream: .endOfStream
            case .failed(let code): .failed(code)
            }
        }
    }

    private func readRequest() {
        while state == .reading {
            switch readOnce() {
            case .outcome(.needMoreData):
                if parser.expectsContinue && !sentContinue { sendContinue() }
            case .outcome(.complete(let request)):
                respond(to: request)
            case .outcome(.failed(let error)):
                logger.debug("admin request refused", metadata: ["reason": "\(error)"])
                send(error.response, includeBody: true)
            case .wouldBlock:
                return
            case .endOfStream:
                guard parser.bytesReceived > 0, case .failed(let error) = parser.finishAtEndOfInput() else {
                    close(reason: nil)
                    return
                }
                // The peer may only have half-closed; tell it why nothing useful came back.
                send(error.response, includeBody: true)
            case .failed(let code):
                close(reason: "read failed: \(SystemError.message(for: code))")
            }
        }
    }

    /// Writes the interim "100 Continue" at once. On a fresh connection it always fits the socket buffer;
    /// whatever does not is sent ahead of the final response instead.
    private func sendContinue() {
        sentContinue = true
        let bytes = AdminResponse.continueBytes
        let result = bytes.withUnsafeBytes { Socket.write(fd, from: $0.baseAddress!, count: $0.count) }
        switch result {
        case .done(let count): output = Array(bytes[count...])
        case .wouldBlock: output = bytes
        case .endOfStream, .failed: break // The read side reports a dead peer soon enough.
        }
    }

    private func respond(to request: AdminRequest) {
        let response = handler(request)
        // The handler may have stopped the server, which closed this connection.
        guard state == .reading else { return }
        logger.debug(
            "admin request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)",
            ])
        send(response, includeBody: request.method != "HEAD")
    }

    // MARK: Writing

    private func send(_ response: AdminResponse, includeBody: Bool) {
        output += response.serialized(includeBody: includeBody, date: HTTPDate.now())
        written = 0
        state = .writing
        timer.start(after: options.responseTimeout)
        flush()
    }

    private func flush() {
        while written < output.count {
            let result = output.withUnsafeBytes { raw in
                Socket.write(fd, from: raw.baseAddress! + written, count: raw.count - written)
            }
            switch result {
            case .done(let count):
                written += count
            case .wouldBlock:
                io.watch(.write)
                return
            case .endOfStream:
                close(reason: "peer closed while the response was being written")
                return
            case .failed(let code):
                close(reason: "write failed: \(SystemError.message(for: code))")
                return
            }
        }
        output = []
        Socket.shutdownWrite(fd)
        state = .lingering
        io.watch(.read)
        timer.start(after: options.lingerTimeout)
    }

    // MARK: Lingering and closing

    private func discardInput() {
        while state == .lingering {
            let step: IOResult = withUnsafeTemporaryAllocation(byteCount: Self.readChunk, alignment: 1) { buffer in
                Socket.read(fd, into: buffer.baseAddress!, count: buffer.count)
            }
            switch step {
            case .done(let count):
                discarded += count
                if discarded > Self.maxLingerBytes { close(reason: "client kept sending after the response") }
            case .wouldBlock:
                return
            case .endOfStream, .failed:
                close(reason: nil)
            }
        }
    }

    private func close(reason: String?, notify: Bool = true) {
        guard state != .closed else { return }
        state = .closed
        // Watchers stop before the descriptor closes, so libev never polls a reused descriptor number.
        io.stop()
        timer.stop()
        Socket.close(fd)
        output = []
        if let reason {
            logger.debug("admin connection closed", metadata: ["reason": "\(reason)"])
        }
        let owner = onClose
        onClose = nil
        if notify { owner?(self) }
    }
}
