import Logging

/// Renders one log record as one complete line (trailing newline included).
///
/// Separate from the handler so the exact output can be tested with a fixed timestamp, and so the
/// handler does nothing but merge metadata and hand a finished line to its sink.
public struct LogLineFormatter: Sendable {
    /// JSON keys that certgate itself writes; metadata with these names is renamed to `meta.NAME` so a
    /// record can never contain the same key twice.
    public static let reservedJSONKeys: Set<String> = ["ts", "level", "msg", "logger"]

    public var format: LogOutputFormat

    public init(format: LogOutputFormat) {
        self.format = format
    }

    /// - Parameters:
    ///   - label: the logger's label (`certgate`, `certgate.admin`, ...).
    ///   - metadata: already merged; rendered sorted by key so identical records produce identical lines.
    public func line(
        timestamp: LogTimestamp,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        let fields = metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: Self.flatten($0.value)) }
        switch format {
        case .text:
            return textLine(timestamp: timestamp, level: level, label: label, message: message, fields: fields)
        case .json:
            return jsonLine(timestamp: timestamp, level: level, label: label, message: message, fields: fields)
        }
    }

    /// `2026-11-23T09:41:07.123Z info certgate: message key=value key2="quoted value"`
    private func textLine(
        timestamp: LogTimestamp,
        level: Logger.Level,
        label: String,
        message: String,
        fields: [(key: String, value: String)]
    ) -> String {
        var line = ""
        line.reserveCapacity(64 + message.utf8.count + fields.count * 24)
        line += timestamp.rfc3339
        line += " "
        line += level.rawValue
        line += " "
        LogEscaping.textMessage(label, into: &line)
        line += ": "
        LogEscaping.textMessage(message, into: &line)
        for field in fields {
            line += " "
            LogEscaping.textKey(field.key, into: &line)
            line += "="
            LogEscaping.textValue(field.value, into: &line)
        }
        line += "\n"
        return line
    }

    /// `{"ts":"2026-11-23T09:41:07.123Z","level":"info","msg":"message","logger":"certgate","key":"value"}`
    private func jsonLine(
        timestamp: LogTimestamp,
        level: Logger.Level,
        label: String,
        message: String,
        fields: [(key: String, value: String)]
    ) -> String {
        var line = ""
        line.reserveCapacity(96 + message.utf8.count + fields.count * 32)
        line += "{\"ts\":\""
        line += timestamp.rfc3339
        line += "\",\"level\":\""
        line += level.rawValue
        line += "\",\"msg\":"
        JSONText.appendQuoted(message, to: &line)
        line += ",\"logger\":"
        JSONText.appendQuoted(label, to: &line)
        for field in fields {
            line += ","
            let key = Self.reservedJSONKeys.contains(field.key) ? "meta." + field.key : field.key
            JSONText.appendQuoted(key, to: &line)
            line += ":"
            JSONText.appendQuoted(field.value, to: &line)
        }
        line += "}\n"
        return line
    }

    /// Metadata values are always written as strings; nested arrays and dictionaries use swift-log's
    /// own description (`["a", "b"]`), which keeps the JSON schema flat and predictable for collectors.
    static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array, .dictionary: return value.description
        }
    }
}
