import CertgateLogging
import CertgatePosix
import Dispatch
import LibEV
import Synchronization

/// `--access-log`: the process's one access log. Workers render lines into their own
/// `AccessLogBuffer` and hand whole chunks to `submit`; a thread of its own writes them to the target.
///
/// Why a thread: a worker must never wait for the log. A full pipe (a stalled collector) or a slow disk
/// (a page-cache write throttled by writeback) would stall every connection of the worker that wrote. So
/// workers only append under a lock held for a few instructions, and this thread does the `write`s,
/// which may block as long as they like. The queue between them is bounded (`maximumQueuedBytes`):
/// when the writer is that far behind, new chunks are dropped whole and their lines counted
/// (`certgate_access_log_dropped_lines_total`); certgate keeps serving at full speed.
///
/// Lines reach the target within `AccessLog.flushInterval` (each worker's buffer timer) plus the time
/// the write takes. At shutdown, workers hand on their last lines after their connections closed and
/// `finish()` writes everything queued before it returns, so a SIGTERM loses no line.
///
/// Used from the workers (`format`, `submit`) and the control thread (everything else).
public final class AccessLog: Sendable {
    /// How long a worker keeps lines before handing them on when its buffer does not fill.
    public static let flushInterval = Duration.milliseconds(250)
    /// The most bytes waiting for the writer; beyond it, chunks are dropped.
    public static let maximumQueuedBytes = 8 << 20

    private struct State {
        var queue: [AccessLogChunk] = []
        var queuedBytes = 0
        var target: AccessLogTarget
        /// A target opened by `reopen`/`configure`, for the writer to switch to (and close the old one).
        var next: AccessLogTarget?
        var stopping = false
    }

    /// 0: off, 1: text, 2: json (a relaxed load per connection close).
    private let formatCode = Atomic<UInt8>(0)
    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let thread = Mutex<LoopThread?>(nil)
    private let dropped: @Sendable (Int) -> Void

    /// - Parameter dropped: called with the number of lines lost (queue full, or a failed write).
    public init(target: AccessLogTarget, dropped: @escaping @Sendable (Int) -> Void) {
        state = Mutex(State(target: target))
        self.dropped = dropped
    }

    /// The format of new lines; `nil`: off.
    public var format: LogOutputFormat? {
        switch formatCode.load(ordering: .relaxed) {
        case 1: return .text
        case 2: return .json
        default: return nil
        }
    }

    /// Sets the format (`nil`: off) and, when given, a new target; starts the writer thread the first
    /// time the log is on. Control thread.
    public func configure(format: LogOutputFormat?, target: AccessLogTarget? = nil) throws(ThreadError) {
        if let target {
            let replaced = state.withLock { state -> AccessLogTarget? in
                defer { state.next = target }
                return state.next
            }
            replaced?.close()
        }
        if format != nil { try startWriter() }
        formatCode.store(format == .text ? 1 : format == .json ? 2 : 0, ordering: .relaxed)
        if target != nil { wake.signal() }
    }

    /// Opens the target's file again (logrotate moved it away): lines written from now on go to the
    /// file now at that path. A no-op for stdout. Control thread (SIGHUP, `POST /reload`).
    public func reopen() throws(SystemError) {
        let path = state.withLock { $0.next?.path ?? $0.target.path }
        guard let path else { return }
        let target = try AccessLogTarget.open(path)
        let replaced = state.withLock { state -> AccessLogTarget? in
            defer { state.next = target }
            return state.next
        }
        replaced?.close()
        wake.signal()
    }

    /// Where lines go (once the writer has switched to the latest target).
    public var targetPath: String? {
        state.withLock { $0.next?.path ?? $0.target.path }
    }

    /// Hands a chunk of whole lines to the writer. `false`: the queue was full and the chunk is dropped
    /// (already counted). Worker threads; never blocks beyond the queue's lock.
    @discardableResult
    public func submit(_ chunk: AccessLogChunk) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, state.queuedBytes + chunk.bytes.count <= Self.maximumQueuedBytes else {
                return false
            }
            state.queue.append(chunk)
            state.queuedBytes += chunk.bytes.count
            return true
        }
        if accepted { wake.signal() } else { dropped(chunk.lines) }
        return accepted
    }

    /// Writes everything queued, then stops the writer thread and closes the file. Control thread, after
    /// the workers have stopped (they hand on their last lines when their loop ends).
    public func finish() {
        state.withLock { $0.stopping = true }
        wake.signal()
        let running = thread.withLock { thread -> LoopThread? in
            defer { thread = nil }
            return thread
        }
        running?.join()
        let targets = state.withLock { state in
            defer { state.next = nil }
            return (state.target, state.next)
        }
        targets.0.close()
        targets.1?.close()
    }

    private func startWriter() throws(ThreadError) {
        try thread.withLock { (thread: inout LoopThread?) throws(ThreadError) in
            guard thread == nil else { return }
            thread = try LoopThread.spawn(name: "certgate-log") { [self] in writeLoop() }
        }
    }

    /// The writer thread: waits for chunks, writes them in order, switches targets when asked; returns
    /// once `finish` was called and the queue is empty.
    private func writeLoop() {
        while true {
            wake.wait()
            let (chunks, target, old, stop) = state.withLock { state in
                var old: AccessLogTarget?
                if let next = state.next {
                    old = state.target
                    state.target = next
                    state.next = nil
                }
                let chunks = state.queue
                state.queue.removeAll(keepingCapacity: true)
                state.queuedBytes = 0
                return (chunks, state.target, old, state.stopping)
            }
            old?.close()
            for chunk in chunks {
                let lost = target.write(chunk.bytes)
                if lost > 0 { dropped(lost) }
            }
            if stop && state.withLock({ $0.queue.isEmpty }) { return }
        }
    }
}
