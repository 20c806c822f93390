extension ProxyConfiguration {
    /// The configuration as a config file that certgate accepts and that resolves back to this value:
    /// every setting of the table, in table order.
    ///
    /// For reports and debugging (what the flags, variables, file and defaults amounted to). Text is
    /// double-quoted so that values such as `1.2`, `on` or cipher lists with `:` and `!` survive the
    /// round trip without YAML reinterpreting them.
    public func renderedAsConfigurationFile() -> String {
        var lines: [String] = []
        for setting in Settings.all where setting.info.inFile {
            let key = setting.info.key
            switch setting.rendered(self) {
            case .scalar(let value):
                lines.append("\(key): \(value)")
            case .text(let value):
                lines.append("\(key): \(YAMLText.quoted(value))")
            case .list(let items) where items.isEmpty, .block(let items) where items.isEmpty:
                lines.append("\(key): []")
            case .list(let items):
                lines.append("\(key):")
                lines += items.map { "  - \(YAMLText.quoted($0))" }
            case .block(let block):
                lines.append("\(key):")
                lines += block
            case .absent(let comment?):
                lines.append("# \(key): \(comment)")
            case .absent(nil):
                break
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// YAML text as the renderers write it.
enum YAMLText {
    /// A YAML double-quoted scalar. Only `"`, `\` and control characters need escaping there.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
