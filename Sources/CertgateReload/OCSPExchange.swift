import CertgatePosix
import LibEV

/// One HTTP POST of an OCSP request to a responder and its answer, on the control loop: a non-blocking
/// connect, write and read driven by an `IOWatcher`, ended by a `TimerWatcher` when it takes longer than
/// `timeout`. `completion` is called once (not after `cancel`).
final class OCSPExchange {
    private let loop: EventLoop
    private let request: [UInt8]
    private var completion: ((Result<[UInt8], OCSPFetchFailure>) -> Void)?
    private var fd: Int32 = -1
    private var watcher: IOWatcher?
    private var timer: TimerWatcher?
    private var remaining: ArraySlice<ResolvedAddress> = []
    private var sent = 0
    private var received: [UInt8] = []

    init(loop: EventLoop, request: [UInt8], completion: @escaping (Result<[UInt8], OCSPFetchFailure>) -> Void) {
        self.loop = loop
        self.request = request
        self.completion = completion
    }

    /// Connects to the first of `addresses` (already resolved: nothing blocks here), then to the next
    /// when connecting fails; the answer or the failure comes through `completion`.
    func start(_ addresses: [ResolvedAddress], timeout: Duration) {
        let timer = TimerWatcher(loop: loop) { [weak self] in self?.finish(.failure(.timeout)) }
        self.timer = timer
        timer.start(after: timeout)
        remaining = addresses[...]
        connectNext(failure: "no address")
    }

    /// Connects to the next address, or fails with `failure` (the last connect error) when none is left.
    private func connectNext(failure: String) {
        var failure = failure
        while let address = remaining.popFirst() {
            switch Socket.connect(to: address) {
            case .failed(let code): failure = SystemError.message(for: code)
            case .connected(let fd), .inProgress(let fd):
                self.fd = fd
                let watcher = IOWatcher(loop: loop, fd: fd) { [weak self] events in self?.ready(events) }
                self.watcher = watcher
                watcher.watch(.write)
                return
            }
        }
        finish(.failure(.connect(failure)))
    }

    /// Stops it without calling `completion`.
    func cancel() {
        completion = nil
        close()
    }

    private func ready(_ events: IOEvents) {
        if sent < request.count {
            if sent == 0 {
                let pending = Socket.pendingError(of: fd)
                if pending != 0 {
                    closeSocket()
                    return connectNext(failure: SystemError.message(for: pending))
                }
            }
            writeRequest()
        } else {
            readAnswer()
        }
    }

    private func writeRequest() {
        while sent < request.count {
            let result = request.withUnsafeBytes {
                Socket.write(fd, from: $0.baseAddress! + sent, count: request.count - sent)
            }
            switch result {
            case .done(let count): sent += count
            case .wouldBlock: return
            case .failed(let code): return finish(.failure(.connect(SystemError.message(for: code))))
            case .endOfStream: return finish(.failure(.connect("connection closed while sending")))
            }
        }
        watcher?.watch(.read)
    }

    private func readAnswer() {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = chunk.withUnsafeMutableBytes { Socket.read(fd, into: $0.baseAddress!, count: $0.count) }
            switch result {
            case .done(let count):
                received.append(contentsOf: chunk[..<count])
                if case .failed(let reason) = OCSPHTTPResponse.parse(received, ended: false) {
                    return finish(.failure(.http(reason)))
                }
            case .wouldBlock:
                if case .body(let body) = OCSPHTTPResponse.parse(received, ended: false) {
                    return finish(.success(body))
                }
                return
            case .endOfStream:
                switch OCSPHTTPResponse.parse(received, ended: true) {
                case .body(let body): return finish(.success(body))
                case .failed(let reason): return finish(.failure(.http(reason)))
                case .incomplete: return finish(.failure(.http("incomplete response")))
                }
            case .failed(let code): return finish(.failure(.connect(SystemError.message(for: code))))
            }
        }
    }

    private func finish(_ result: Result<[UInt8], OCSPFetchFailure>) {
        let completion = self.completion
        self.completion = nil
        close()
        completion?(result)
    }

    private func close() {
        timer?.stop()
        timer = nil
        closeSocket()
    }

    private func closeSocket() {
        watcher?.stop()
        watcher = nil
        if fd >= 0 {
            Socket.close(fd)
            fd = -1
        }
    }
}
