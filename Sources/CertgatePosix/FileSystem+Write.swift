import Glibc

extension FileSystem {
    /// Writes `bytes` to `path` atomically: into `.NAME.tmp` beside it, flushed, then renamed over `path`,
    /// so a reader sees the old file or the new one, never a part. The file is created mode 0644.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(SystemError) {
        let directory = PathName.directory(of: path)
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = (directory.hasSuffix("/") ? directory : directory + "/") + "." + file + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open \(temporary)", errno: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw SystemError("write \(temporary)", errno: code)
            }
            written += count
        }
        let synced = fsync(fd)
        let code = errno
        close(fd)
        guard synced == 0 else {
            unlink(temporary)
            throw SystemError("fsync \(temporary)", errno: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SystemError("rename to \(path)", errno: code)
        }
    }
}
