import Yams

/// Walks a composed YAML tree (not a decoded `Decodable`) so that every error can name the exact key,
/// report unknown keys with a suggestion, and tell apart "a list where a string belongs" from "a string
/// that is not a valid address". Value validation is left to the resolver; this layer checks shapes.
struct ConfigurationFileParser {
    /// The file path as the user gave it, for messages.
    let path: String
    /// Relative paths in the file resolve against this absolute directory.
    let baseDirectory: String

    func parse(_ yaml: String) throws(ConfigurationError) -> ConfigurationFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw syntaxError(error, yaml: yaml)
        }
        var file = ConfigurationFile(path: path, baseDirectory: baseDirectory)
        guard let root, !Self.isNull(root) else {
            return file
        }
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError(
                .file(path, line: root.mark?.line),
                "expected 'key: value' settings at the top level, found \(Self.kind(of: root))"
            )
        }
        let settings = Settings.all.map(\.info).filter(\.inFile)
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            let name = keyNode.scalar?.string ?? "<\(Self.kind(of: keyNode))>"
            guard let setting = settings.first(where: { $0.key == name }) else {
                let hint = Suggestion.hint(for: name, among: settings.map(\.key))
                throw ConfigurationError(.file(path, line: nil), "unknown key '\(name)'\(hint)")
            }
            guard seen.insert(name).inserted else {
                throw ConfigurationError(.file(path, line: keyNode.mark?.line), "duplicate key '\(name)'")
            }
            if Self.isNull(value) {
                if name == Settings.perCertificate.info.key { file.perCertificate = [] }
                continue
            }
            try read(setting, value, into: &file)
        }
        return file
    }

    /// Converts one key's node by the setting's form; `errorKey` is the key as messages name it.
    func read(_ setting: SettingInfo, _ node: Node, into file: inout ConfigurationFile, errorKey: String? = nil)
        throws(ConfigurationError)
    {
        let key = errorKey ?? setting.key
        let single: String
        switch setting.form {
        case .structured:
            if setting.key == Settings.perCertificate.info.key {
                file.perCertificate = try perCertificate(node)
            } else {
                file.certificatePairs = try certificatePairs(node)
            }
            return
        case .list:
            let items = try scalarList(node, key, expecting: Self.expectation(setting))
            if case .sequence = node {
                file.values[setting.key] = .init(items: items, isSequence: true)
            } else {
                file.values[setting.key] = .init(items: items, isSequence: false)
            }
            return
        case .commaList:
            single = try scalarList(node, key, expecting: Self.expectation(setting)).joined(separator: ",")
        case .duration:
            single = try duration(node, key)
        case .version:
            single = try version(node, key)
        case .toggle:
            single = try scalar(node, key, expecting: "true or false")
        case .value:
            single = try scalar(node, key, expecting: Self.expectation(setting))
        }
        file.values[setting.key] = .init(items: [single], isSequence: false)
    }

    /// What a "found a list" message says was expected, from the setting's value placeholder.
    static func expectation(_ setting: SettingInfo) -> String {
        switch setting.valueName {
        case "host:port": return "HOST:PORT"
        case "file", "dir": return "a path"
        case "n": return "a number"
        case "n|auto": return "a number or auto"
        case "duration", "duration|off": return "a duration such as 5s"
        case "level": return "a log level"
        case "name": return "a certificate name"
        case "pattern": return "a name pattern"
        case "list": return setting.form == .commaList ? "a protocol name" : "a list of names"
        default:
            let choices = setting.valueName.split(separator: "|").map(String.init)
            guard choices.count > 1 else { return "a value" }
            return choices.dropLast().joined(separator: ", ") + " or " + choices[choices.count - 1]
        }
    }

    // MARK: - Shapes

    /// Any non-null scalar, as written. YAML's typing of plain scalars (`8443` is an int, `on` a bool) is
    /// deliberately ignored: the value parsers then give a message about the value, not about YAML types.
    func scalar(_ node: Node, _ key: String, expecting expectation: String) throws(ConfigurationError)
        -> String
    {
        guard case .scalar(let scalar) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: key), "expected \(expectation), found \(Self.kind(of: node))"
            )
        }
        return scalar.string
    }

    /// `allow-cn: VALUE` or `allow-cn: [VALUE, ...]`: scalars as written (checked by the resolver).
    func scalarList(_ node: Node, _ key: String, expecting expectation: String) throws(ConfigurationError)
        -> [String]
    {
        switch node {
        case .scalar:
            return [try scalar(node, key, expecting: expectation)]
        case .sequence(let sequence):
            var values: [String] = []
            for (index, item) in sequence.enumerated() {
                let itemKey = "\(key)[\(index)]"
                if Self.isNull(item) {
                    throw ConfigurationError(
                        .fileKey(file: path, key: itemKey), "expected \(expectation), found nothing")
                }
                values.append(try scalar(item, itemKey, expecting: expectation))
            }
            return values
        default:
            throw ConfigurationError(
                .fileKey(file: path, key: key),
                "expected \(expectation) or a list of them, found \(Self.kind(of: node))"
            )
        }
    }

    /// `certs: [{cert: FILE, key: FILE}, ...]`.
    private func certificatePairs(_ node: Node) throws(ConfigurationError) -> [CertificatePair] {
        let key = Settings.certificatePairs.info.key
        guard case .sequence(let sequence) = node else {
            throw ConfigurationError(
                .fileKey(file: path, key: key),
                "expected a list of entries with 'cert' and 'key', found \(Self.kind(of: node))"
            )
        }
        var pairs: [CertificatePair] = []
        for (index, item) in sequence.enumerated() {
            let entryKey = "\(key)[\(index)]"
            guard case .mapping(let mapping) = item else {
                throw ConfigurationError(
                    .fileKey(file: path, key: entryKey),
                    "expected an entry with 'cert' and 'key', found \(Self.kind(of: item))"
                )
            }
            var certificate: String?
            var privateKey: String?
            for (fieldNode, value) in mapping {
                let field = fieldNode.scalar?.string ?? "<\(Self.kind(of: fieldNode))>"
                switch field {
                case "cert": certificate = try resolvedPath(value, "\(entryKey).cert")
                case "key": privateKey = try resolvedPath(value, "\(entryKey).key")
                default:
                    let hint = Suggestion.hint(for: field, among: ["cert", "key"])
                    throw ConfigurationError(.fileKey(file: path, key: entryKey), "unknown key '\(field)'\(hint)")
                }
            }
            guard let certificate else {
                throw ConfigurationError(.fileKey(file: path, key: entryKey), "missing 'cert' (the certificate file)")
            }
            guard let privateKey else {
                throw ConfigurationError(.fileKey(file: path, key: entryKey), "missing 'key' (the private key file)")
            }
            pairs.append(CertificatePair(certificatePath: certificate, keyPath: privateKey))
        }
        return pairs
    }

    func resolvedPath(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        if Self.isNull(node) {
            throw ConfigurationError(.fileKey(file: path, key: key), "expected a path, found nothing")
        }
        let text = try scalar(node, key, expecting: "a path")
        do {
            return try ValueParser.path(text, relativeTo: baseDirectory)
        } catch {
            throw ConfigurationError(.fileKey(file: path, key: key), error)
        }
    }

    /// A bare YAML number means seconds (`handshake-timeout: 5`, `connect-timeout: 1.5`); anything else
    /// must be duration text.
    private func duration(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        let text = try scalar(node, key, expecting: "a duration such as 5s")
        switch node.tag.rawValue {
        case Tag.Name.int.rawValue:
            guard let seconds = node.int else {
                throw ConfigurationError(.fileKey(file: path, key: key), "'\(text)' is too large")
            }
            guard seconds >= 0 else {
                throw ConfigurationError(
                    .fileKey(file: path, key: key), "'\(text)' is negative; durations must be 0 or more"
                )
            }
            return seconds == 0 ? "0" : "\(seconds)s"
        case Tag.Name.float.rawValue:
            // `1.5` is 1.5 seconds, like a bare integer; exponents, infinities and signs are refused.
            if text.hasPrefix("-") {
                throw ConfigurationError(
                    .fileKey(file: path, key: key), "'\(text)' is negative; durations must be 0 or more")
            }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) })
            else {
                throw ConfigurationError(
                    .fileKey(file: path, key: key),
                    "'\(text)' is not a number of seconds; write a duration such as 1.5s or 1500ms"
                )
            }
            return text + "s"
        default:
            return text
        }
    }

    /// `min-tls: "1.2"` and the unquoted YAML float `min-tls: 1.2` mean the same; `1.20` is also 1.2.
    private func version(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        let text = try scalar(node, key, expecting: "1.2 or 1.3")
        if node.tag.rawValue == Tag.Name.float.rawValue, let number = node.float {
            for version in TLSVersion.allCases where Double(version.rawValue) == number {
                return version.rawValue
            }
        }
        return text
    }

    // MARK: - Errors and descriptions

    private func syntaxError(_ error: any Error, yaml: String) -> ConfigurationError {
        guard let yamlError = error as? YamlError else {
            return ConfigurationError(.file(path, line: nil), "invalid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            // libyaml phrases some problems as the second half of its context ("expected a single
            // document in the stream" + "but found another document"); those read as one sentence.
            if let context, problem.hasPrefix("but ") {
                return ConfigurationError(.file(path, line: mark.line), "invalid YAML: \(context.text), \(problem)")
            }
            let detail = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ConfigurationError(.file(path, line: mark.line), "invalid YAML: \(problem)\(detail)")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { Self.line(ofUTF8Offset: $0, in: yaml) }
            return ConfigurationError(.file(path, line: line), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return ConfigurationError(.file(path, line: context.mark.line), "duplicate key \(names)")
        default:
            return ConfigurationError(.file(path, line: nil), "invalid YAML: \(yamlError)")
        }
    }

    private static func line(ofUTF8Offset offset: Int, in text: String) -> Int {
        1 + text.utf8.prefix(max(offset, 0)).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    static func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.tag.rawValue == Tag.Name.null.rawValue
    }

    /// How a node is described in "found ..." messages.
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return "nothing"
            case Tag.Name.bool.rawValue: return "true/false"
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "a number"
            default: return "text"
            }
        }
    }
}
