import Logging
import Synchronization

/// The log level and format every handler of the process follows, changeable while it runs (a
/// configuration reload changes `--log-level` and `--log-format`).
///
/// swift-log's handlers are value types copied into every `Logger` (each worker holds its own), so they
/// cannot be updated one by one; they all read this one object instead. Reads are relaxed atomic loads,
/// cheap enough for the check swift-log makes before it builds each message.
public final class LogControl: Sendable {
    private let levelStorage: Atomic<UInt8>
    private let formatStorage: Atomic<UInt8>

    public init(format: LogOutputFormat, level: Logger.Level) {
        levelStorage = Atomic(Self.code(level))
        formatStorage = Atomic(Self.code(format))
    }

    public var level: Logger.Level {
        get { Logger.Level.allCases[Int(levelStorage.load(ordering: .relaxed))] }
        set { levelStorage.store(Self.code(newValue), ordering: .relaxed) }
    }

    public var format: LogOutputFormat {
        get { LogOutputFormat.allCases[Int(formatStorage.load(ordering: .relaxed))] }
        set { formatStorage.store(Self.code(newValue), ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 0)
    }

    private static func code(_ format: LogOutputFormat) -> UInt8 {
        UInt8(LogOutputFormat.allCases.firstIndex(of: format) ?? 0)
    }
}
