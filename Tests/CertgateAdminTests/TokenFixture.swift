import Foundation

/// A private temporary directory for token files, removed by `remove()`.
final class TokenDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-admin-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `content` to `name` in place (same inode), like an editor or `echo > file` would.
    @discardableResult
    func write(_ content: String, to name: String = "token") throws -> String {
        let file = path + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Replaces `name` by renaming a new file over it (new inode), the way secret managers rotate files.
    @discardableResult
    func replace(_ name: String = "token", with content: String) throws -> String {
        let file = path + "/" + name
        let staging = path + "/." + name + ".new"
        try Data(content.utf8).write(to: URL(fileURLWithPath: staging))
        guard rename(staging, file) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return file
    }
}
