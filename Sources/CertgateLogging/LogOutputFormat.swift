/// How each log record is rendered on its line.
///
/// Raw values match the `--log-format` spellings (and `CertgateConfig.LogFormat`), so the executable can
/// convert with `LogOutputFormat(rawValue: configuration.logFormat.rawValue)` without this module
/// depending on the configuration module.
public enum LogOutputFormat: String, Sendable, Equatable, CaseIterable {
    /// `2026-11-23T09:41:07.123Z info certgate: message key=value`: for people reading a terminal.
    case text
    /// One JSON object per line with `ts`, `level`, `msg`, ...: for log collectors.
    case json
}
