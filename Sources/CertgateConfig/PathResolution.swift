/// Turns relative paths into absolute ones without touching the filesystem.
///
/// Paths from flags are relative to the working directory and paths from a config file are relative to
/// that file's directory; resolving both to absolute paths up front means later stages (the certificate
/// loader, reloads after a `chdir`) never have to remember which base applied.
public enum PathResolution {
    /// `path` if it is already absolute, otherwise `base/path`. `.` components and repeated slashes are
    /// removed; `..` is kept, because collapsing it lexically is wrong when a component is a symlink.
    public static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        return normalized(joined)
    }

    /// The directory part of `path` (`/etc/certgate` for `/etc/certgate/proxy.yaml`, `/` for `/x`).
    public static func directory(of path: String) -> String {
        let components = normalized(path).split(separator: "/", omittingEmptySubsequences: true)
        return "/" + components.dropLast().joined(separator: "/")
    }

    static func normalized(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let body = components.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + body : body
    }
}
