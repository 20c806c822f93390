/// What a YAML config file said, after shape checks but before value validation.
///
/// Values are kept as the text the user wrote (YAML numbers included), so the resolver runs the same
/// parser over a file value, a flag and a variable and produces the same error for each. Two conversions
/// happen here because they depend on the YAML type: a bare integer duration means seconds (`5` becomes
/// `5s`), and a YAML float TLS version (`1.2`) becomes the text `1.2`. Relative paths resolve against
/// `baseDirectory` when the values are parsed. An absent (or null) key has no entry.
public struct ConfigurationFile: Sendable, Equatable {
    /// One key's value: its texts, and whether the YAML had a list (errors then name `key[N]`).
    public struct Value: Sendable, Equatable {
        public var items: [String]
        public var isSequence: Bool

        public init(items: [String], isSequence: Bool) {
            self.items = items
            self.isSequence = isSequence
        }
    }

    /// The path as the user gave it, used in error messages.
    public var path: String
    /// Relative paths in the file resolve against this absolute directory (normally the file's own).
    public var baseDirectory: String
    /// Put before every key in messages: `per-certificate.NAME.` for the settings of one entry.
    public var keyPrefix = ""
    /// Key to value, for the keys of `Settings.all` that the file sets.
    public var values: [String: Value] = [:]
    /// `certs:` pairs (paths already absolute); `nil` when absent.
    public var certificatePairs: [CertificatePair]?
    /// `per-certificate:` entries in file order; `nil` when absent.
    public var perCertificate: [CertificateClientOverride]?

    /// An empty file: every key absent.
    public init(path: String, baseDirectory: String = "/") {
        self.path = path
        self.baseDirectory = baseDirectory
    }

    /// The text of a single-value key, `nil` when absent.
    public func text(_ key: String) -> String? {
        values[key]?.items.last
    }

    /// Reads and parses the file at `path`; a relative `path` is taken relative to `currentDirectory`.
    ///
    /// - Throws: `ConfigurationError` naming the file when it is missing, unreadable, not UTF-8, not
    ///   valid YAML (with the line), or when a key is unknown or has the wrong type (naming the key).
    public static func load(path: String, currentDirectory: String) throws(ConfigurationError) -> ConfigurationFile {
        let absolutePath = PathResolution.absolute(path, relativeTo: currentDirectory)
        let text = try ConfigurationFileReader.read(absolutePath: absolutePath, displayPath: path)
        return try parse(yaml: text, path: path, baseDirectory: PathResolution.directory(of: absolutePath))
    }

    /// Parses YAML text as if it were the file at `path`; relative paths inside resolve against
    /// `baseDirectory` (normally the file's own directory).
    public static func parse(yaml: String, path: String, baseDirectory: String) throws(ConfigurationError)
        -> ConfigurationFile
    {
        try ConfigurationFileParser(path: path, baseDirectory: baseDirectory).parse(yaml)
    }
}
