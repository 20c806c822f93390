import Logging

/// A swift-log `LogHandler` that writes one line per record (text or JSON) to a `LogSink`.
///
/// Each record is fully rendered before the sink is called, so with the default stderr sink a record
/// is a single `write(2)` and lines from different worker threads never interleave. The handler is a
/// value type, as swift-log requires: changing `logLevel` or `metadata` on one `Logger` copy does not
/// affect others. Until a copy's level is set, it follows its `LogControl` (the process-wide level and
/// format, which a configuration reload changes).
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level {
        get { levelOverride ?? control.level }
        set { levelOverride = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String

    private let control: LogControl
    private var levelOverride: Logger.Level?
    private let sink: LogSink
    private let clock: @Sendable () -> LogTimestamp

    /// - Parameters:
    ///   - clock: the time source, replaceable so tests get deterministic timestamps.
    public init(
        label: String,
        format: LogOutputFormat,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil,
        sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) {
        self.init(
            label: label, control: LogControl(format: format, level: level), metadataProvider: metadataProvider,
            sink: sink, clock: clock)
    }

    /// A handler following `control`'s level (until its own is set) and format.
    public init(
        label: String,
        control: LogControl,
        metadataProvider: Logger.MetadataProvider? = nil,
        sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) {
        self.label = label
        self.control = control
        self.metadataProvider = metadataProvider
        self.sink = sink
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let recordMetadata = event.metadata, !recordMetadata.isEmpty {
            merged.merge(recordMetadata) { _, new in new }
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        let line = LogLineFormatter(format: control.format).line(
            timestamp: clock(),
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: merged
        )
        sink.write(line)
    }
}
