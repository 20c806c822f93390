import Logging

/// Process-wide logging setup for certgate.
///
/// The executable calls `bootstrap` once, right after the configuration is resolved and before any
/// `Logger` is created; everything else just creates `Logger(label: "certgate...")` as usual.
public enum CertgateLogging {
    /// Installs `LineLogHandler` writing to stderr as the handler for every `Logger`.
    ///
    /// swift-log allows this only once per process (a second call traps), so tests should build
    /// handlers with `makeHandler` instead.
    public static func bootstrap(format: LogOutputFormat, level: Logger.Level) {
        control.format = format
        control.level = level
        LoggingSystem.bootstrap(
            { label, metadataProvider in
                LineLogHandler(label: label, control: control, metadataProvider: metadataProvider)
            }, metadataProvider: nil)
    }

    /// The level and format of every handler `bootstrap` installs; `update` changes them at run time.
    public static let control = LogControl(format: .text, level: .info)

    /// Changes the level and format of every logger of the process (a configuration reload).
    public static func update(formatName: String, levelName: String) throws(LoggingSetupError) {
        let (format, level) = try parse(formatName: formatName, levelName: levelName)
        control.format = format
        control.level = level
    }

    /// `bootstrap` from the configuration's spellings (`"text"`/`"json"`, `"info"`, ...), for callers
    /// that hold `CertgateConfig` values: `bootstrap(formatName: config.logFormat.rawValue,
    /// levelName: config.logLevel.rawValue)`.
    ///
    /// - Throws: `LoggingSetupError` for a name that is not a format or level (the configuration
    ///   resolver has already rejected those, so this indicates a programming error).
    public static func bootstrap(formatName: String, levelName: String) throws(LoggingSetupError) {
        let (format, level) = try parse(formatName: formatName, levelName: levelName)
        bootstrap(format: format, level: level)
    }

    private static func parse(formatName: String, levelName: String) throws(LoggingSetupError)
        -> (LogOutputFormat, Logger.Level)
    {
        guard let format = LogOutputFormat(rawValue: formatName) else {
            throw LoggingSetupError("unknown log format '\(formatName)'")
        }
        guard let level = Logger.Level(rawValue: levelName) else {
            throw LoggingSetupError("unknown log level '\(levelName)'")
        }
        return (format, level)
    }

    /// A handler as `bootstrap` installs it, but with a chosen sink (and clock): tests capture lines
    /// with `LogSink { line in ... }` and use `Logger(label:factory:)`.
    public static func makeHandler(
        label: String,
        format: LogOutputFormat,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil,
        sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) -> LineLogHandler {
        LineLogHandler(
            label: label, format: format, level: level, metadataProvider: metadataProvider, sink: sink, clock: clock
        )
    }
}

/// A logging setup request that names an unknown format or level.
public struct LoggingSetupError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
