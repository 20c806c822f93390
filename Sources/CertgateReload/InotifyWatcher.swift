import CertgatePosix
import LibEV

/// inotify on a set of directories, read by an `ev_io` on the control loop. The system calls and the
/// event records are `Inotify`'s (CertgatePosix); this class keeps the watch tables and turns events into
/// what the reload controller needs.
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

    private let inotify: Inotify
    private var watcher: IOWatcher?
    private let handler: (Event) -> Void
    private var pathsByDescriptor: [Int32: Set<String>] = [:]
    private var descriptorByPath: [String: Int32] = [:]
    /// Device and inode each path resolved to when its watch was added: a path that now resolves
    /// elsewhere (a repointed symlink) needs a new watch.
    private var identityByPath: [String: FileIdentity] = [:]
    /// Directories that should be watched.
    public private(set) var wanted: Set<String> = []
    /// Why each missing directory could not be watched, last time it was tried.
    public private(set) var failures: [String: String] = [:]
    /// Watched directories on a network or FUSE file system: inotify sees only the changes made through
    /// this machine's kernel there, not those made by the server or other clients.
    public private(set) var remoteDirectories: Set<String> = []

    /// - Throws: when the process cannot have an inotify instance (`EMFILE` on `max_user_instances`,
    ///   `ENOSYS`); callers fall back to `stat()` polling.
    public init(loop: EventLoop, handler: @escaping (Event) -> Void) throws(SystemError) {
        let inotify = try Inotify()
        self.inotify = inotify
        self.handler = handler
        watcher = IOWatcher(loop: loop, fd: inotify.descriptor) { [unowned self] _ in self.drain() }
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
            let descriptor: Int32
            do {
                descriptor = try inotify.addWatch(path, mask: Inotify.directoryChanges)
            } catch {
                failures[path] = SystemError.message(for: error.errno)
                continue
            }
            failures[path] = nil
            descriptorByPath[path] = descriptor
            identityByPath[path] = FileIdentity.of(path)
            pathsByDescriptor[descriptor, default: []].insert(path)
            if FileSystem.isRemote(path) { remoteDirectories.insert(path) }
        }
        return missing
    }

    /// Closes the inotify instance. Idempotent.
    public func stop() {
        guard let watcher else { return }
        watcher.stop()
        self.watcher = nil
        inotify.close()
        pathsByDescriptor.removeAll()
        descriptorByPath.removeAll()
        identityByPath.removeAll()
        remoteDirectories.removeAll()
    }

    private func remove(_ path: String) {
        identityByPath[path] = nil
        remoteDirectories.remove(path)
        guard let descriptor = descriptorByPath.removeValue(forKey: path) else { return }
        pathsByDescriptor[descriptor]?.remove(path)
        if pathsByDescriptor[descriptor]?.isEmpty == true {
            pathsByDescriptor[descriptor] = nil
            inotify.removeWatch(descriptor)
        }
    }

    private func drain() {
        while watcher != nil, let batch = inotify.readEvents() {
            for event in interpret(batch) {
                handler(event)
            }
        }
    }

    /// Updates the watch tables from one batch of kernel events and says what they mean for the wanted
    /// directories.
    private func interpret(_ batch: [Inotify.Event]) -> [Event] {
        var events: [Event] = []
        for event in batch {
            if event.isOverflow {
                events.append(.overflow)
                continue
            }
            let descriptor = event.watch
            let paths = pathsByDescriptor[descriptor] ?? []
            if event.isIgnored {
                // The kernel dropped the watch (directory deleted or unmounted, or we removed it).
                pathsByDescriptor[descriptor] = nil
                for path in paths where descriptorByPath[path] == descriptor {
                    descriptorByPath[path] = nil
                    identityByPath[path] = nil
                    remoteDirectories.remove(path)
                    if wanted.contains(path) { events.append(.lost(directory: path)) }
                }
                continue
            }
            if event.isMoveSelf {
                // The watch would follow the directory to its new name; the path we care about is
                // elsewhere now. Drop it (IN_IGNORED follows) and let retryMissing find the new one.
                inotify.removeWatch(descriptor)
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
