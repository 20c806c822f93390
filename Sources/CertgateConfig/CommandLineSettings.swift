/// The settings given on the command line of `certgate run`/`check`, read against the setting table.
///
/// ArgumentParser owns the command structure (`run`, `check`, `--help`); it hands every other argument
/// here, so the flags accepted are exactly the table's. `--flag VALUE` and `--flag=VALUE` both work; a
/// value flag given twice keeps the last value, a list flag keeps every one, a toggle takes no value.
/// Every true-or-false setting also has `--no-KEY`, which sets it to `false`; of `--strict-sni` and
/// `--no-strict-sni`, the last one given wins.
public struct CommandLineSettings: Sendable, Equatable {
    /// Flag (`--listen`) to the values given, in order; a toggle given has the value `true`, and its
    /// `--no-` form adds `false` under the flag itself.
    public var values: [String: [String]]

    public init(values: [String: [String]] = [:]) {
        self.values = values
    }

    /// Reads `arguments` (without the command name).
    ///
    /// - Throws: `ConfigurationError` naming the flag for an unknown flag (with a suggestion), a missing
    ///   value, or a value given to a toggle; a stray argument is named as such.
    public init(arguments: [String]) throws(ConfigurationError) {
        let byFlag = Self.flagTable
        let negations = Self.negatedFlags
        var values: [String: [String]] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ConfigurationError(
                    .none, "unexpected argument '\(argument)' (every setting is a --flag; see --help)")
            }
            let name: String
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            } else {
                name = argument
            }
            if let positive = negations[name] {
                if inline != nil {
                    throw ConfigurationError(.flag(name), "takes no value")
                }
                values[positive, default: []].append("false")
                continue
            }
            guard let form = byFlag[name] else {
                let known = Array(byFlag.keys) + Array(negations.keys)
                let close = Suggestion.closest(
                    to: String(name.dropFirst(2)), among: known.map { String($0.dropFirst(2)) })
                throw ConfigurationError(
                    .flag(name), "unknown option" + (close.map { " (did you mean '--\($0)'?)" } ?? ""))
            }
            if form == .toggle {
                if inline != nil {
                    throw ConfigurationError(.flag(name), "takes no value")
                }
                values[name, default: []].append("true")
                continue
            }
            if inline == nil {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw ConfigurationError(.flag(name), "missing value")
                }
                inline = arguments[index]
                index += 1
            }
            values[name, default: []].append(inline ?? "")
        }
        self.values = values
    }

    /// `--config FILE`, when given.
    public var configFile: String? { values[Settings.config.info.flag]?.last }

    /// `--no-KEY` to `--KEY` for every true-or-false setting.
    static var negatedFlags: [String: String] {
        var table: [String: String] = [:]
        for info in Settings.all.map(\.info) {
            if let negated = info.negatedFlag { table[negated] = info.flag }
        }
        return table
    }

    /// Every flag the table defines, with its form.
    static var flagTable: [String: SettingForm] {
        var table: [String: SettingForm] = [:]
        for info in Settings.all.map(\.info) {
            for flag in info.flags {
                table[flag] = info.form == .structured ? .list : info.form
            }
        }
        return table
    }
}
