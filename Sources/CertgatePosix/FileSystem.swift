internal import CPosixShims
import Glibc

/// Blocking file-system reads with errors that name the path. Used only off the worker loops (start-up,
/// the control thread): a slow disk or NFS mount must never stall a data-path thread.
public enum FileSystem {
    public enum EntryKind: Equatable {
        case file
        case directory
        case other
        case missing
    }

    /// What `path` is, following symlinks (a Kubernetes secret's `tls.crt` is a symlink chain).
    public static func kind(of path: String) -> EntryKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Whether `path` lies on a network or FUSE file system (NFS, SMB, Ceph, 9p, FUSE, ...), where inotify
    /// misses changes made elsewhere; `false` when it cannot be told (`statfs()` fails).
    public static func isRemote(_ path: String) -> Bool {
        CPosixShims_is_remote_filesystem(path) == 1
    }

    /// The whole content of a regular file, at most `limit` bytes.
    ///
    /// Opened non-blocking (and without becoming a controlling terminal), so that a FIFO or device put
    /// where a file belongs fails at once as `notRegularFile` instead of stalling the thread in `open()`.
    public static func readFile(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileError(path: path, reason: info.st_mode & S_IFMT == S_IFDIR ? .isDirectory : .notRegularFile)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, errno: errno)
            }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw FileError(path: path, reason: .tooLarge(limit: limit)) }
        }
        return bytes
    }

    /// Entries of a directory (without "." and ".."), sorted bytewise, each with its kind when the
    /// directory listing already tells it (regular files and directories on most filesystems); `nil` for
    /// symlinks and filesystems that do not say, which need a `kind(of:)` (a `stat()`) to follow.
    public static func listDirectoryEntries(_ path: String) throws(FileError) -> [(name: String, kind: EntryKind?)] {
        guard let dir = opendir(path) else { throw FileError(path: path, errno: errno) }
        defer { closedir(dir) }
        var entries: [(name: String, kind: EntryKind?)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != "." && name != ".." else { continue }
            let kind: EntryKind?
            switch Int(entry.pointee.d_type) {
            case Int(DT_REG): kind = .file
            case Int(DT_DIR): kind = .directory
            case Int(DT_LNK), Int(DT_UNKNOWN): kind = nil
            default: kind = .other
            }
            entries.append((name, kind))
        }
        return entries.sorted { $0.name.bytewiseLess($1.name) }
    }

    /// Names in a directory (without "." and ".."), sorted bytewise for a stable order.
    public static func listDirectory(_ path: String) throws(FileError) -> [String] {
        guard let dir = opendir(path) else { throw FileError(path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.bytewiseLess($1) }
    }
}

/// A file could not be read; the description is one line starting with the path.
public struct FileError: Error, Equatable, CustomStringConvertible {
    /// Why, as a value, so that a caller with its own wording (the admin token file) can say it its way.
    public enum Reason: Equatable, Sendable {
        /// A system call failed with this `errno`.
        case system(Int32)
        case isDirectory
        /// A FIFO, socket or device.
        case notRegularFile
        /// Longer than the limit the reader set, in bytes.
        case tooLarge(limit: Int)
        /// Anything else, in words.
        case described(String)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public init(path: String, errno code: Int32) {
        self.init(path: path, reason: .system(code))
    }

    public init(path: String, message: String) {
        self.init(path: path, reason: .described(message))
    }

    /// The reason in words: `No such file or directory`, `is a directory`, `larger than 16 MiB`...
    public var message: String {
        switch reason {
        case .system(let code): SystemError.message(for: code)
        case .isDirectory: "is a directory"
        case .notRegularFile: "not a regular file"
        case .tooLarge(let limit):
            limit >= 1 << 20 ? "larger than \(limit >> 20) MiB" : "larger than \(limit >> 10) KiB"
        case .described(let message): message
        }
    }

    public var description: String { "\(path): \(message)" }

    /// Equal when they read the same: how the error was made does not matter.
    public static func == (lhs: FileError, rhs: FileError) -> Bool {
        lhs.path == rhs.path && lhs.message == rhs.message
    }
}
