/// One setting of `certgate run`/`check`, declared once: its YAML key, flag and environment variable,
/// how its text is parsed, its default, where `--help` and the docs show it, and whether a configuration
/// reload can change it.
///
/// Everything that spells a setting is derived from these entries (`Settings.all`): the command-line
/// scanner, the YAML reader, the environment reader, the resolver, `--help`, the rendered configuration
/// file and the flag table in docs/configuration.md. The only other places a setting appears are its
/// typed property on `ProxyConfiguration` and the code that uses the value.
public struct Setting<Value: Sendable & Equatable>: AnySetting {
    public let info: SettingInfo
    let keyPath: WritableKeyPath<ProxyConfiguration, Value> & Sendable
    let defaultValue: @Sendable (SettingContext) -> Value
    let parse: @Sendable ([String], SettingContext) throws(SettingValueError) -> Value
    let render: @Sendable (Value) -> RenderedValue

    /// A setting with one value: `--flag VALUE` (the last one wins), a YAML scalar, one variable.
    /// The default is the value in `ProxyConfiguration.defaults` unless `defaultValue` says otherwise;
    /// `defaultText` (for `--help` and the docs) is the rendered default unless given.
    init(
        _ key: String, _ form: SettingForm = .value, group: SettingGroup, valueName: String, type: String,
        default defaultText: String? = nil, example: String, reload: SettingReload, help: String,
        keyPath: WritableKeyPath<ProxyConfiguration, Value> & Sendable,
        defaultValue: (@Sendable (SettingContext) -> Value)? = nil,
        parse: @escaping @Sendable (String, SettingContext) throws(ConfigurationValueError) -> Value,
        render: @escaping @Sendable (Value) -> RenderedValue
    ) {
        self.info = SettingInfo(
            key: key, form: form, group: group, valueName: valueName, type: type,
            defaultText: defaultText ?? render(ProxyConfiguration.defaults[keyPath: keyPath]).defaultText,
            example: example, reload: reload, help: help)
        self.keyPath = keyPath
        self.defaultValue = defaultValue ?? { _ in ProxyConfiguration.defaults[keyPath: keyPath] }
        self.parse = { items, context throws(SettingValueError) in
            do throws(ConfigurationValueError) {
                return try parse(items[items.count - 1], context)
            } catch {
                throw SettingValueError(error, item: nil)
            }
        }
        self.render = render
    }

    /// A setting with a list of values: a repeatable flag (every occurrence counts), a YAML scalar or
    /// list, a comma-separated variable. A list from a higher source replaces a lower one's entirely.
    init<Element>(
        list key: String, group: SettingGroup, valueName: String, type: String, default defaultText: String = "none",
        example: String, reload: SettingReload, help: String,
        keyPath: WritableKeyPath<ProxyConfiguration, [Element]> & Sendable,
        parseItem: @escaping @Sendable (String, SettingContext) throws(ConfigurationValueError) -> Element,
        renderItem: @escaping @Sendable (Element) -> String
    ) where Value == [Element] {
        self.info = SettingInfo(
            key: key, form: .list, group: group, valueName: valueName, type: type,
            defaultText: defaultText, example: example, reload: reload, help: help)
        self.keyPath = keyPath
        self.defaultValue = { _ in [] }
        self.parse = { items, context throws(SettingValueError) in
            var values: [Element] = []
            for (index, text) in items.enumerated() {
                do throws(ConfigurationValueError) {
                    values.append(try parseItem(text, context))
                } catch {
                    throw SettingValueError(error, item: index)
                }
            }
            return values
        }
        self.render = { $0.isEmpty ? .absent(comment: nil) : .list($0.map(renderItem)) }
    }

    public func resolve(_ sources: SettingSources, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError) -> ConfigurationError.Origin?
    {
        var chosen: (value: Value, origin: ConfigurationError.Origin)?
        // Every source is parsed, not only the winner: a bad file value is reported even when a flag
        // hides it, so `certgate check` catches it before the day the flag is dropped.
        for raw in sources.values(for: info) {
            let value: Value
            do {
                value = try parse(raw.items, raw.context)
            } catch {
                throw ConfigurationError(raw.origin(item: error.item), error.error)
            }
            if chosen == nil { chosen = (value, raw.origin(item: nil)) }
        }
        guard let chosen else { return nil }
        configuration[keyPath: keyPath] = chosen.value
        return chosen.origin
    }

    public func applyDefault(_ context: SettingContext, to configuration: inout ProxyConfiguration) {
        configuration[keyPath: keyPath] = defaultValue(context)
    }

    public func differs(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool {
        lhs[keyPath: keyPath] != rhs[keyPath: keyPath]
    }

    public func copy(from source: ProxyConfiguration, to target: inout ProxyConfiguration) {
        target[keyPath: keyPath] = source[keyPath: keyPath]
    }

    public func rendered(_ configuration: ProxyConfiguration) -> RenderedValue {
        render(configuration[keyPath: keyPath])
    }
}

/// What every setting offers the resolver, the reload diff and the renderers, whatever its value type.
public protocol AnySetting: Sendable {
    var info: SettingInfo { get }
    /// Parses the setting from every source that has it and stores the winner; returns where the winner
    /// came from, `nil` (and nothing stored) when no source has it.
    func resolve(_ sources: SettingSources, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError) -> ConfigurationError.Origin?
    /// Stores the setting's default.
    func applyDefault(_ context: SettingContext, to configuration: inout ProxyConfiguration)
    /// Whether the two configurations hold different values of this setting.
    func differs(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool
    /// Sets this setting of `target` to its value in `source` (a reload keeps restart-only values).
    func copy(from source: ProxyConfiguration, to target: inout ProxyConfiguration)
    /// The value as the config file would write it.
    func rendered(_ configuration: ProxyConfiguration) -> RenderedValue
}

/// A value as a config file writes it.
public enum RenderedValue: Equatable, Sendable {
    /// A scalar, written as is (the renderer quotes text that needs it).
    case scalar(String)
    /// Text that is always double-quoted.
    case text(String)
    /// A list of double-quoted items.
    case list([String])
    /// A nested block, already indented by two spaces per line.
    case block([String])
    /// Nothing is written (an optional value that is absent), with an optional comment instead.
    case absent(comment: String?)

    /// How `--help` and the docs show a default.
    var defaultText: String {
        switch self {
        case .scalar(let text), .text(let text): return text
        case .list(let items): return items.isEmpty ? "none" : items.joined(separator: ", ")
        case .block(let lines): return lines.isEmpty ? "none" : "(see the file format)"
        case .absent: return "none"
        }
    }
}

/// What parsing may depend on besides the text.
public struct SettingContext: Sendable {
    /// Relative paths are made absolute against this directory (the working directory for flags and the
    /// environment, the config file's directory for its keys).
    public var baseDirectory: String
    /// What `workers: auto` becomes.
    public var processorCount: Int

    public init(baseDirectory: String, processorCount: Int) {
        self.baseDirectory = baseDirectory
        self.processorCount = processorCount
    }
}

/// A value error and, for list settings, which item it concerns.
struct SettingValueError: Error {
    var error: ConfigurationValueError
    var item: Int?

    init(_ error: ConfigurationValueError, item: Int?) {
        self.error = error
        self.item = item
    }
}
