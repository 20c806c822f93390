/// The per-key "flag beats file" rule, with each value validated where it was written.
struct Merge {
    /// A validated value and where it came from, kept so later cross-checks can blame the right place.
    struct Setting<Value> {
        var value: Value
        var origin: ConfigurationError.Origin
    }

    let file: ConfigurationFile?

    /// Parses the flag value and the file value (both, when both are present, so a bad file value is
    /// reported even if a flag hides it), and returns the flag's when given, else the file's.
    func optional<Value>(
        _ key: ConfigurationKey,
        _ flagText: String?,
        _ fileText: String?,
        _ parse: (String) throws(ConfigurationValueError) -> Value
    ) throws(ConfigurationError) -> Setting<Value>? {
        var fromFlag: Setting<Value>?
        if let flagText {
            fromFlag = try validate(flagText, origin: .flag(key.flag), parse)
        }
        var fromFile: Setting<Value>?
        if let fileText, let file {
            fromFile = try validate(fileText, origin: .fileKey(file: file.path, key: key.rawValue), parse)
        }
        return fromFlag ?? fromFile
    }

    /// Like `optional`, but absence everywhere is an error naming both the flag and the file key.
    func required<Value>(
        _ key: ConfigurationKey,
        _ flagText: String?,
        _ fileText: String?,
        _ parse: (String) throws(ConfigurationValueError) -> Value
    ) throws(ConfigurationError) -> Setting<Value> {
        guard let setting = try optional(key, flagText, fileText, parse) else {
            throw ConfigurationError(.none, "missing \(key.flag) (or '\(key.rawValue):' in the config file)")
        }
        return setting
    }

    private func validate<Value>(
        _ text: String,
        origin: ConfigurationError.Origin,
        _ parse: (String) throws(ConfigurationValueError) -> Value
    ) throws(ConfigurationError) -> Setting<Value> {
        do {
            return Setting(value: try parse(text), origin: origin)
        } catch {
            throw ConfigurationError(origin, error)
        }
    }
}
