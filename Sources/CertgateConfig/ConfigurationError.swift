import Foundation

/// Why a configuration was rejected, and where the bad value came from.
///
/// Every configuration problem reaches the user as exactly one line on stderr, so `description` always
/// names the origin first: the flag (`--upstream: ...`), the file and key (`/etc/certgate.yaml: key
/// 'upstream': ...`), or the file and line for YAML syntax errors. Tests and callers can also inspect
/// `origin` and `message` separately instead of matching on the rendered text.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where a rejected value was written.
    public enum Origin: Sendable, Equatable {
        /// A command-line flag, spelled as the user types it (`--upstream`).
        case flag(String)
        /// A key inside a config file. `key` may be a path into nested values (`certs[0].key`).
        case fileKey(file: String, key: String)
        /// An environment variable (`CERTGATE_LISTEN`).
        case environment(String)
        /// The config file as a whole (unreadable, not a mapping, unknown key), optionally at a line.
        case file(String, line: Int?)
        /// No single place: a required setting is absent everywhere.
        case none
    }

    public var origin: Origin
    /// The problem itself, without the origin prefix.
    public var message: String

    public init(_ origin: Origin, _ message: String) {
        self.origin = origin
        self.message = message
    }

    /// Wraps a value-level error with the place the value came from.
    public init(_ origin: Origin, _ error: ConfigurationValueError) {
        self.init(origin, error.message)
    }

    /// One line: origin, then message. Line breaks inside the message are flattened so a single
    /// `stderr` line always carries the whole error (log collectors split on newlines).
    public var description: String {
        let body = Self.singleLine(message)
        switch origin {
        case .flag(let flag):
            return "\(flag): \(body)"
        case .fileKey(let file, let key):
            return "\(file): key '\(key)': \(body)"
        case .environment(let name):
            return "environment variable \(name): \(body)"
        case .file(let file, let line?):
            return "\(file): line \(line): \(body)"
        case .file(let file, nil):
            return "\(file): \(body)"
        case .none:
            return body
        }
    }

    static func singleLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// A value that could not be understood, independent of where it was written.
///
/// The parsers for durations, endpoints and the other settings throw this; the resolver attaches the
/// origin (flag or file key) by wrapping it in a `ConfigurationError`. The message quotes the input.
public struct ConfigurationValueError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
