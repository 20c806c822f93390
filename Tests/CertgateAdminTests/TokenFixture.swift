import Foundation
import Logging
import Synchronization

/// A private temporary directory for token files, removed by `remove()`.
final class TokenDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-admin-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `content` to `name` in place (same inode), like an editor or `echo > file` would.
    @discardableResult
    func write(_ content: String, to name: String = "token") throws -> String {
        let file = path + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Replaces `name` by renaming a new file over it (new inode), the way secret managers rotate files.
    @discardableResult
    func replace(_ name: String = "token", with content: String) throws -> String {
        let file = path + "/" + name
        let staging = path + "/." + name + ".new"
        try Data(content.utf8).write(to: URL(fileURLWithPath: staging))
        guard rename(staging, file) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return file
    }
}

/// Every log record, rendered with its level, message and metadata, so tests can look for text that must
/// never be logged.
final class CapturedLogs: Sendable {
    private let records = Mutex<[(level: Logger.Level, line: String)]>([])

    var logger: Logger {
        var logger = Logger(label: "test.admin") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    var lines: [String] { records.withLock { $0.map(\.line) } }

    func lines(at level: Logger.Level) -> [String] {
        records.withLock { $0.filter { $0.level == level }.map(\.line) }
    }

    /// Everything logged, as one text.
    var text: String { lines.joined(separator: "\n") }

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
