import Logging
import Synchronization

/// Every log record, rendered with its level, message and metadata, so tests can look for text that must
/// never be logged.
public final class CapturedLogs: Sendable {
    private let records = Mutex<[(level: Logger.Level, line: String)]>([])

    public init() {}

    /// A logger at `trace` level whose records all land here.
    public var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    public var lines: [String] { records.withLock { $0.map(\.line) } }

    public func lines(at level: Logger.Level) -> [String] {
        records.withLock { $0.filter { $0.level == level }.map(\.line) }
    }

    /// Everything logged, as one text.
    public var text: String { lines.joined(separator: "\n") }

    fileprivate func append(_ level: Logger.Level, _ line: String) {
        records.withLock { $0.append((level, line)) }
    }

    private struct Handler: LogHandler {
        let capture: CapturedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            merged.merge(event.metadata ?? [:]) { _, new in new }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append(event.level, "\(event.level) \(event.message) \(fields)")
        }
    }
}
