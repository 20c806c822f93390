import Foundation

/// Reads a config file's text, turning each way it can fail into a one-line error naming the file.
///
/// This is the only place configuration touches the filesystem.
enum ConfigurationFileReader {
    static func read(absolutePath: String, displayPath: String) throws(ConfigurationError) -> String {
        let origin = ConfigurationError.Origin.file(displayPath, line: nil)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolutePath, isDirectory: &isDirectory) else {
            throw ConfigurationError(origin, "cannot read config file: no such file")
        }
        if isDirectory.boolValue {
            throw ConfigurationError(origin, "cannot read config file: it is a directory")
        }
        guard let data = FileManager.default.contents(atPath: absolutePath) else {
            let reason = FileManager.default.isReadableFile(atPath: absolutePath) ? "read failed" : "permission denied"
            throw ConfigurationError(origin, "cannot read config file: \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(origin, "config file is not valid UTF-8")
        }
        return text
    }
}
