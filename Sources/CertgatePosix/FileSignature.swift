import Glibc

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
    public static func of(_ path: String) -> FileSignature? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileSignature(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changedNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        )
    }

    public var description: String {
        "dev=\(device) ino=\(inode) size=\(size) mtime=\(modifiedNanoseconds) ctime=\(changedNanoseconds)"
    }
}
