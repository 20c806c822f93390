import CertgateLogging
import LibEV

/// One worker's side of the access log: its line buffer, the renderer (whose string is reused) and the
/// flush timer, which runs only while the buffer holds lines. Loop-confined, like its worker.
final class WorkerAccessLog {
    private let log: AccessLog
    private var buffer = AccessLogBuffer()
    private var renderer = AccessLogLine(format: .text)
    private var timer: TimerWatcher!
    private var timerArmed = false

    init(log: AccessLog, loop: EventLoop) {
        self.log = log
        timer = TimerWatcher(loop: loop) { [unowned self] in
            self.timerArmed = false
            self.flush()
        }
    }

    /// The format of new lines; `nil`: the log is off.
    var format: LogOutputFormat? { log.format }

    /// Adds the record's line to the buffer: a memory copy, and a hand-off of the lines before it when
    /// the buffer is full. The first line of an empty buffer arms the flush timer.
    func write(_ record: AccessLogRecord, format: LogOutputFormat) {
        renderer.format = format
        if let full = buffer.append(renderer.renderBytes(record)) { log.submit(full) }
        if !timerArmed {
            timerArmed = true
            timer.start(after: AccessLog.flushInterval)
        }
    }

    /// Hands every line collected on to the writer (the timer, or the worker stopping).
    func flush() {
        if timerArmed {
            timerArmed = false
            timer.stop()
        }
        if let chunk = buffer.take() { log.submit(chunk) }
    }
}
