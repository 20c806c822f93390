import Foundation

/// Every place a setting can come from, in order of precedence: command-line flags, then `CERTGATE_*`
/// environment variables, then the config file, then the setting's default.
///
/// A list from a higher source replaces a lower one's entirely (one flag can override a whole
/// deployment file). The sources are plain values, so a configuration reload resolves the same flags and
/// the environment of the start against a re-read file.
public struct SettingSources: Sendable {
    public var commandLine: CommandLineSettings
    public var environment: EnvironmentSettings
    public var file: ConfigurationFile?
    /// The context of flags and variables (the working directory), and of defaults.
    public var context: SettingContext

    public init(
        commandLine: CommandLineSettings, environment: EnvironmentSettings, file: ConfigurationFile?,
        context: SettingContext
    ) {
        self.commandLine = commandLine
        self.environment = environment
        self.file = file
        self.context = context
    }

    /// The raw values of one setting, highest precedence first.
    func values(for info: SettingInfo) -> [RawSetting] {
        var values: [RawSetting] = []
        if let items = commandLine.values[info.flag] {
            values.append(RawSetting(items: items, source: .flag(info.flag), context: context))
        }
        if let name = info.environmentVariable, let text = environment.values[name] {
            let items = info.form == .list ? Self.splitList(text) : [text]
            values.append(RawSetting(items: items, source: .environment(name), context: context))
        }
        if let file, let value = file.values[info.key] {
            var fileContext = context
            fileContext.baseDirectory = file.baseDirectory
            values.append(
                RawSetting(
                    items: value.items, source: .file(file.path, file.keyPrefix + info.key, indexed: value.isSequence),
                    context: fileContext))
        }
        return values
    }

    /// `a, b,c` as `["a", "b", "c"]`; an empty variable is an empty list.
    static func splitList(_ text: String) -> [String] {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        return text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }
}

/// One source's raw text for one setting.
struct RawSetting {
    enum Source {
        case flag(String)
        case environment(String)
        /// A key of the file; `indexed` when the value was a YAML list (errors name `key[N]`).
        case file(String, String, indexed: Bool)
    }

    /// The texts: one for single-value settings, any number for lists.
    var items: [String]
    var source: Source
    var context: SettingContext

    /// Where the value (or its item `item`) was written, for error messages.
    func origin(item: Int?) -> ConfigurationError.Origin {
        switch source {
        case .flag(let flag):
            return .flag(flag)
        case .environment(let name):
            return .environment(name)
        case .file(let path, let key, let indexed):
            guard indexed, let item else { return .fileKey(file: path, key: key) }
            return .fileKey(file: path, key: "\(key)[\(item)]")
        }
    }
}

/// The `CERTGATE_*` variables of the environment certgate started with.
public struct EnvironmentSettings: Sendable, Equatable {
    /// Variable name to value, for the names that start with `CERTGATE_`.
    public var values: [String: String]

    public init(_ environment: [String: String] = [:]) {
        values = environment.filter { $0.key.hasPrefix(SettingInfo.environmentPrefix) }
    }

    /// `CERTGATE_*` variables that set nothing but look like a misspelt setting, with the suggestion.
    /// Others are ignored: Kubernetes defines `CERTGATE_SERVICE_HOST`, `CERTGATE_PORT`, ... for a Service
    /// named certgate.
    public var misspellings: [(variable: String, suggestion: String)] {
        let settings = Settings.all.map(\.info).filter(\.fromEnvironment)
        let known = Set(settings.compactMap(\.environmentVariable))
        return values.keys.sorted().compactMap { name in
            guard !known.contains(name) else { return nil }
            // Compared as keys (`cert-dir`), so the shared prefix does not make every name look close.
            let key = name.dropFirst(SettingInfo.environmentPrefix.count).lowercased()
                .replacingOccurrences(of: "_", with: "-")
            guard let close = Suggestion.closest(to: key, among: settings.map(\.key)),
                let setting = settings.first(where: { $0.key == close }), let variable = setting.environmentVariable
            else { return nil }
            return (name, variable)
        }
    }
}
