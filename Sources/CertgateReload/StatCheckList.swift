import CertgatePosix

/// What the periodic `stat()` check compares with what the last reload saw: the listed directories first,
/// then the source files, each with its signature. Built once per reload and walked every check, so it
/// is laid out to cost one `statx()` per path and nothing else: every path is a NUL-terminated C string
/// in one buffer, and a check neither converts strings nor allocates.
///
/// With 10,000 certificates a check is 10,000 system calls; the check can cover the list in slices
/// (`changed(part:of:)`) so that a pass over a huge list is spread over the interval instead of stalling
/// the control loop in one burst (`ReloadController` decides).
///
/// A file that was missing (an optional `NAME.ocsp` beside each certificate) is left out when its
/// directory is in the list: nothing can appear in a directory without changing the directory's mtime
/// and ctime, which the check sees. That halves the system calls of a directory of `.pem` files. (On
/// kernels before 6.13, which stamp directories with a coarse clock, an entry created within the same
/// clock tick as the reload's `stat()` of its directory goes unseen until something else changes the
/// directory; new certificates have always been found that way, and a forced reload finds them.)
///
/// Files reached through a Kubernetes secret's `..data` link (`tls.crt -> ..data/tls.crt`, in a listed
/// directory that has a `..data` symlink) are left out too: the kubelet's atomic writer changes them only
/// by renaming a new `..data` into the directory, which changes the directory's signature; the files are
/// on a read-only mount. inotify relies on the same (it watches that directory, not the timestamped
/// directories behind the link). A secret volume with 10,000 keys then costs one `statx()` per pass.
///
/// Value type; the store owns it and rebuilds it after every reload.
struct StatCheckList {
    private struct Item {
        /// Where the path starts in `paths`.
        let offset: Int
        let expected: FileSignature?
    }

    /// Every path, NUL-terminated, one after the other.
    private var paths: [CChar] = []
    private var items: [Item] = []

    init() {}

    /// - Parameters:
    ///   - directories: each listed directory and its signature at the last scan.
    ///   - files: each source file and its signature at the last read.
    init(directories: [String: FileSignature?], files: [(path: String, signature: FileSignature?)]) {
        items.reserveCapacity(directories.count + files.count)
        for (directory, signature) in directories.sorted(by: { $0.key.bytewiseLess($1.key) }) {
            append(directory, signature)
        }
        let atomicWriter = Set(directories.keys.filter { PathName.isSymbolicLink(PathName.join($0, "..data")) })
        for (path, signature) in files {
            let directory = Self.directory(of: path)
            if directories[directory] != nil {
                if signature == nil { continue }
                if atomicWriter.contains(directory), PathName.linkTarget(path)?.hasPrefix("..data/") == true {
                    continue
                }
            }
            append(path, signature)
        }
    }

    /// How many paths a full check `stat()`s.
    var count: Int { items.count }

    /// Whether any path's signature differs from what the last reload saw (a full check).
    func changed() -> Bool { changed(in: 0..<items.count) }

    /// Whether any path in slice `part` (0-based) of `parts` equal slices differs. Checking parts
    /// 0, 1, ... `parts - 1` in turn covers every path once.
    func changed(part: Int, of parts: Int) -> Bool {
        let parts = max(parts, 1)
        let part = min(max(part, 0), parts - 1)
        return changed(in: items.count * part / parts..<items.count * (part + 1) / parts)
    }

    private func changed(in range: Range<Int>) -> Bool {
        paths.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            for index in range where FileSignature.of(cString: base + items[index].offset) != items[index].expected {
                return true
            }
            return false
        }
    }

    /// `PathName.directory(of:)` for the paths of sources (no trailing slash), on UTF-8 bytes: this runs
    /// for every file after every reload, and Character-wise string scanning costs microseconds a path.
    private static func directory(of path: String) -> String {
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == bytes.startIndex ? "/" : String(Substring(bytes[..<slash]))
    }

    private mutating func append(_ path: String, _ signature: FileSignature?) {
        items.append(Item(offset: paths.count, expected: signature))
        paths.append(contentsOf: path.utf8CString)
    }
}

extension StatCheckList {
    /// The store's directories and every file of its entries (`signaturePaths`, with the signatures the
    /// entry was read with; one missing from the end counts as a file that was missing).
    init(directories: [String: FileSignature?], entries: some Collection<CertificateStore.Entry>) {
        var files: [(path: String, signature: FileSignature?)] = []
        files.reserveCapacity(entries.count * 2)
        for entry in entries {
            for (index, path) in entry.source.signaturePaths.enumerated() {
                files.append((path, index < entry.signatures.count ? entry.signatures[index] : nil))
            }
        }
        self.init(directories: directories, files: files)
    }
}
