internal import CPosixShims

/// What `stat()` says about a file, following symlinks: enough to tell that it was replaced (inode,
/// device), rewritten (size, mtime, ctime) or is gone, without reading it.
///
/// ctime cannot be set by user space, so a copy that keeps the old mtime (`cp -p`, `rsync -t`) still
/// changes the signature. A Kubernetes `..data` swap changes the inode the symlink chain resolves to.
/// The signature only says "look again"; content hashes decide whether anything changed.
public struct FileSignature: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modifiedNanoseconds: Int64
    public let changedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64, changedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }

    /// The signature of `path` now, or `nil` when it cannot be stat'ed (missing, dangling link, no access).
    /// One `statx()` asking for these fields only (`stat()` on kernels without it).
    public static func of(_ path: String) -> FileSignature? {
        path.withCString { of(cString: $0) }
    }

    /// `of(_:)` for a path already in C form: no conversion, no allocation (the periodic check walks
    /// thousands of these).
    public static func of(cString path: UnsafePointer<CChar>) -> FileSignature? {
        var status = CPosixShims_file_status()
        guard CPosixShims_file_status(path, &status) == 0 else { return nil }
        return FileSignature(
            device: status.device, inode: status.inode, size: status.size,
            modifiedNanoseconds: status.modified_nanoseconds, changedNanoseconds: status.changed_nanoseconds)
    }

    public var description: String {
        "dev=\(device) ino=\(inode) size=\(size) mtime=\(modifiedNanoseconds) ctime=\(changedNanoseconds)"
    }
}
