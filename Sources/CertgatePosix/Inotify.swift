import Glibc

/// An inotify instance (inotify(7)): the raw system calls and the decoding of the kernel's
/// `struct inotify_event` records. What the events mean is up to the caller (`InotifyWatcher` in
/// CertgateReload, which reads it from an `ev_io` on the control loop).
///
/// The descriptor is non-blocking and close-on-exec: it is meant to sit under an event-loop watcher, and
/// `readEvents()` returns `nil` once the queue is drained instead of waiting.
///
/// Not thread-safe: one thread owns it. `close()` is idempotent and `deinit` closes.
public final class Inotify {
    /// One `struct inotify_event`.
    public struct Event: Equatable, Sendable {
        /// The watch descriptor `addWatch` returned (-1 for a queue overflow).
        public let watch: Int32
        /// `IN_*` bits.
        public let mask: UInt32
        /// Pairs `IN_MOVED_FROM` with its `IN_MOVED_TO`.
        public let cookie: UInt32
        /// The entry of the watched directory the event is about; empty for events on the directory itself.
        public let name: String

        public init(watch: Int32, mask: UInt32, cookie: UInt32 = 0, name: String = "") {
            self.watch = watch
            self.mask = mask
            self.cookie = cookie
            self.name = name
        }

        /// Events were dropped (`IN_Q_OVERFLOW`): whatever is watched may have changed unseen.
        public var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
        /// The watch is gone (`IN_IGNORED`): removed, or its directory deleted or unmounted.
        public var isIgnored: Bool { mask & UInt32(IN_IGNORED) != 0 }
        /// The watched directory itself was moved (`IN_MOVE_SELF`); the watch follows it to its new name.
        public var isMoveSelf: Bool { mask & UInt32(IN_MOVE_SELF) != 0 }
    }

    /// Every kind of change to a directory's entries (written, created, deleted, moved in or out,
    /// attributes), plus the directory itself being deleted or moved; refuses anything but a directory.
    public static let directoryChanges = UInt32(
        IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE
            | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    /// The inotify descriptor, for an event-loop read watcher; -1 once closed.
    public private(set) var descriptor: Int32
    /// Room for many events per `read()` (each is 16 bytes plus its name, padded).
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// - Throws: when the process cannot have an inotify instance (`EMFILE` on `max_user_instances`,
    ///   `ENOSYS`).
    public init() throws(SystemError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw SystemError("inotify_init1", errno: errno) }
        descriptor = fd
    }

    deinit {
        close()
    }

    /// Watches `path` for `mask` (`inotify_add_watch`); the watch descriptor its events will carry. Adding
    /// a path whose inode is already watched returns that watch's descriptor again.
    public func addWatch(_ path: String, mask: UInt32) throws(SystemError) -> Int32 {
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else { throw SystemError("inotify_add_watch", errno: errno) }
        return watch
    }

    /// Removes a watch (`inotify_rm_watch`); an `IN_IGNORED` event for it follows. A watch already gone
    /// is not an error worth reporting: the kernel dropped it and said so with its own `IN_IGNORED`.
    public func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// The events queued now, decoded; `nil` when there are none (the queue is drained, or closed).
    public func readEvents() -> [Event]? {
        while descriptor >= 0 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil // EAGAIN: drained
            }
            if count == 0 { return nil }
            return buffer.withUnsafeBytes { Self.decode(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return nil
    }

    /// Closes the instance (every watch goes with it). Idempotent.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Decodes consecutive `struct inotify_event` records: `wd`, `mask`, `cookie`, `len`, then `len` bytes
    /// of NUL-padded name. A record cut short at the end (which the kernel never produces) is ignored.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [Event] {
        let header = MemoryLayout<inotify_event>.size
        var events: [Event] = []
        var offset = 0
        while offset + header <= bytes.count {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + header
            guard nameStart + length <= bytes.count else { break }
            let name = String(decoding: bytes[nameStart..<nameStart + length].prefix { $0 != 0 }, as: UTF8.self)
            events.append(Event(watch: watch, mask: mask, cookie: cookie, name: name))
            offset = nameStart + length
        }
        return events
    }
}
