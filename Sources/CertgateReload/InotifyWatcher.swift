import CertgatePosix
import Glibc
import LibEV

/// inotify on a set of directories, read by an `ev_io` on the control loop.
///
/// Any event in a watched directory is reported as a change (which file does not matter: the store
/// decides what to re-read by `stat()` and content). Watches that go away (the directory was deleted,
/// moved or unmounted: `IN_IGNORED`, `IN_MOVE_SELF`) are reported as lost and become `missing`;
/// `retryMissing()` adds them again once the directory exists. `IN_Q_OVERFLOW` (events were dropped) is
/// reported as an overflow: re-check everything.
///
/// Loop-confined: create, use and stop it on the control thread.
public final class InotifyWatcher {
    public enum Event: Equatable {
        case changed(directory: String)
        case lost(directory: String)
        case overflow
    }

    /// Every kind of change to a directory's entries, plus the watch itself going away.
    static let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM
        | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    private let fd: Int32
    private var watcher: IOWatcher?
    private let handler: (Event) -> Void
    private var pathsByDescriptor: [Int32: Set<String>] = [:]
    private var descriptorByPath: [String: Int32] = [:]
    /// Device and inode each path resolved to when its watch was added: a path that now resolves
    /// elsewhere (a repointed symlink) needs a new watch.
    private var identityByPath: [String: FileIdentity] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Directories that should be watched.
    public private(set) var wanted: Set<String> = []
    /// Why each missing directory could not be watched, last time it was tried.
    public private(set) var failures: [String: String] = [:]

    /// - Throws: when the process cannot have an inotify instance (`EMFILE` on `max_user_instances`,
    ///   `ENOSYS`); callers fall back to `stat()` polling.
    public init(loop: EventLoop, handler: @escaping (Event) -> Void) throws(SystemError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw SystemError("inotify_init1", errno: errno) }
        self.fd = fd
        self.handler = handler
        watcher = IOWatcher(loop: loop, fd: fd) { [unowned self] _ in self.drain() }
        watcher?.watch(.read)
    }

    deinit {
        stop()
    }

    /// Wanted directories that have no watch now (missing, or out of watches).
    public var missing: Set<String> { wanted.subtracting(descriptorByPath.keys) }

    /// Whether every wanted directory is watched.
    public var isComplete: Bool { watcher != nil && missing.isEmpty }

    /// Watches exactly `directories` from now on: adds what is new, removes what is no longer wanted.
    /// Returns the directories that could not be watched (see `failures` for why).
    @discardableResult
    public func update(_ directories: Set<String>) -> Set<String> {
        guard watcher != nil else { return directories }
        for path in wanted.subtracting(directories) {
            remove(path)
        }
        wanted = directories
        // A watch follows the inode it was added on; if the path names another directory now (a
        // symlink repointed), watch that one instead.
        for (path, identity) in identityByPath where FileIdentity.of(path) != identity {
            remove(path)
        }
        return retryMissing()
    }

    /// Tries to watch every missing directory again; returns those still missing.
    @discardableResult
    public func retryMissing() -> Set<String> {
        guard watcher != nil else { return wanted }
        for path in missing {
            let descriptor = inotify_add_watch(fd, path, Self.mask)
            if descriptor < 0 {
                failures[path] = SystemError.message(for: errno)
                continue
            }
            failures[path] = nil
            descriptorByPath[path] = descriptor
            identityByPath[path] = FileIdentity.of(path)
            pathsByDescriptor[descriptor, default: []].insert(path)
        }
        return missing
    }

    /// Closes the inotify instance. Idempotent.
    public func stop() {
        guard let watcher else { return }
        watcher.stop()
        self.watcher = nil
        Glibc.close(fd)
        pathsByDescriptor.removeAll()
        descriptorByPath.removeAll()
        identityByPath.removeAll()
    }

    private func remove(_ path: String) {
        identityByPath[path] = nil
        guard let descriptor = descriptorByPath.removeValue(forKey: path) else { return }
        pathsByDescriptor[descriptor]?.remove(path)
        if pathsByDescriptor[descriptor]?.isEmpty == true {
            pathsByDescriptor[descriptor] = nil
            _ = inotify_rm_watch(fd, descriptor)
        }
    }

    private func drain() {
        while watcher != nil {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: drained
            }
            if count == 0 { return }
            for event in parse(count) {
                handler(event)
            }
        }
    }

    /// Decodes `count` bytes of `struct inotify_event` records and updates the watch tables.
    private func parse(_ count: Int) -> [Event] {
        var events: [Event] = []
        var offset = 0
        let header = 16  // wd, mask, cookie, len
        while offset + header <= count {
            let (descriptor, mask, length) = buffer.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                 raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                 Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
            }
            offset += header + length
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                events.append(.overflow)
                continue
            }
            let paths = pathsByDescriptor[descriptor] ?? []
            if mask & UInt32(IN_IGNORED) != 0 {
                // The kernel dropped the watch (directory deleted or unmounted, or we removed it).
                pathsByDescriptor[descriptor] = nil
                for path in paths where descriptorByPath[path] == descriptor {
                    descriptorByPath[path] = nil
                    identityByPath[path] = nil
                    if wanted.contains(path) { events.append(.lost(directory: path)) }
                }
                continue
            }
            if mask & UInt32(IN_MOVE_SELF) != 0 {
                // The watch would follow the directory to its new name; the path we care about is
                // elsewhere now. Drop it (IN_IGNORED follows) and let retryMissing find the new one.
                _ = inotify_rm_watch(fd, descriptor)
            }
            for path in paths {
                events.append(.changed(directory: path))
            }
        }
        return events
    }
}

/// Which directory a path resolves to: device and inode.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    static func of(_ path: String) -> FileIdentity? {
        FileSignature.of(path).map { FileIdentity(device: $0.device, inode: $0.inode) }
    }
}
