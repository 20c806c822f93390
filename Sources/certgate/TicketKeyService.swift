import CertgateConfig
import CertgateMetrics
import CertgatePosix
import CertgateReload
import CertgateTLS
import Glibc
import LibEV
import Logging

/// The session ticket keys of the process, on the control loop: loads `--ticket-keys` (or makes a random
/// key), and keeps the `TicketKeyRing` every TLS context reads current. With a file: re-read when its
/// `stat()` signature changes, looked at after inotify events in its directory and every
/// `--stat-interval` (as `--watch` says), on SIGHUP and on
/// `POST /reload`; a file that cannot be read or parsed keeps the keys in use and is logged naming the
/// file and line. Without one: a random key, replaced every `--ticket-lifetime`, the previous one kept.
///
/// Key bytes never leave the ring: logs and metrics only ever see counts.
final class TicketKeyService {
    /// What every TLS context of the process protects tickets with; `nil` when tickets are off.
    let ring: TicketKeyRing?
    private let path: String?
    private let lifetime: Duration
    private let statInterval: Duration?
    /// Watch the file's directory with inotify (`--watch auto` or `inotify`).
    private let useInotify: Bool
    private let loop: EventLoop
    private let metrics: TicketKeyMetrics
    private let logger: Logger
    private var signature: FileSignature?
    private var timer: TimerWatcher?
    private var inotify: InotifyWatcher?
    /// Runs `checkFile` a moment after the last inotify event, so a file being written is read once whole.
    private var settleTimer: TimerWatcher?
    static let settleDelay = Duration.milliseconds(150)

    /// - Throws: `StartupFailure` naming the file (and line) when `--ticket-keys` cannot be used.
    init(configuration: ProxyConfiguration, loop: EventLoop, metrics: TicketKeyMetrics, logger: Logger) throws {
        self.path = configuration.tickets ? configuration.ticketKeys : nil
        self.lifetime = configuration.ticketLifetime
        self.statInterval =
            configuration.watchMode == .auto || configuration.watchMode == .stat ? configuration.statInterval : nil
        self.useInotify = configuration.watchMode == .auto || configuration.watchMode == .inotify
        self.loop = loop
        self.metrics = metrics
        self.logger = logger
        if !configuration.tickets {
            ring = nil
        } else if let path {
            signature = FileSignature.of(path)
            do {
                ring = TicketKeyRing(try Self.read(path))
            } catch {
                throw StartupFailure(error)
            }
            Self.warnIfReadableByOthers(path, logger: logger)
        } else {
            guard let key = TicketKey.random() else { throw StartupFailure("cannot make a random ticket key") }
            ring = TicketKeyRing(TicketKeySet([key]))
        }
        metrics.recordKeys(ring?.keys.keys.count ?? 0)
    }

    deinit {
        timer?.stop()
    }

    /// Starts watching the file, or the rotation of random keys. Never blocks.
    func start() {
        guard let ring, timer == nil else { return }
        if let path {
            if useInotify { watchDirectory(of: path) }
            guard let statInterval else { return }
            let watcher = TimerWatcher(loop: loop) { [unowned self] in self.checkFile() }
            watcher.start(after: statInterval, repeating: statInterval)
            timer = watcher
        } else {
            let watcher = TimerWatcher(loop: loop) { [unowned self] in self.rotate(ring) }
            watcher.start(after: lifetime, repeating: lifetime)
            timer = watcher
        }
    }

    func stop() {
        timer?.stop()
        timer = nil
        settleTimer?.stop()
        settleTimer = nil
        inotify?.stop()
        inotify = nil
    }

    /// inotify on the directory of `path` (where a Kubernetes `..data` swap or a `mv` shows up); any
    /// event there schedules a `checkFile`. Without inotify the `stat()` check alone notices changes.
    private func watchDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        do {
            let settle = TimerWatcher(loop: loop) { [unowned self] in self.checkFile() }
            let watcher = try InotifyWatcher(loop: loop) { _ in settle.start(after: Self.settleDelay) }
            watcher.update([directory.isEmpty ? "/" : directory])
            settleTimer = settle
            inotify = watcher
        } catch {
            logger.warning(
                "inotify unavailable; ticket key file changes are found by the stat() check only",
                metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    /// Re-reads the key file (SIGHUP, `POST /reload`, a changed signature). `false` when it was refused
    /// (the keys in use stay); `true` when there is no file to read.
    @discardableResult
    func reload(trigger: ReloadTrigger) -> Bool {
        guard let ring, let path else { return true }
        signature = FileSignature.of(path)
        let keys: TicketKeySet
        do {
            keys = try Self.read(path)
        } catch {
            metrics.recordReload(result: "failure", keys: ring.keys.keys.count)
            logger.error(
                "ticket key reload failed; the keys in use stay",
                metadata: ["file": "\(path)", "trigger": "\(trigger)", "error": "\(error)"])
            return false
        }
        guard keys != ring.keys else {
            metrics.recordReload(result: "unchanged", keys: keys.keys.count)
            return true
        }
        ring.publish(keys)
        metrics.recordReload(result: "success", keys: keys.keys.count)
        Self.warnIfReadableByOthers(path, logger: logger)
        logger.notice(
            "ticket keys reloaded",
            metadata: ["file": "\(path)", "trigger": "\(trigger)", "keys": "\(keys.keys.count)"])
        return true
    }

    private func checkFile() {
        guard let path, FileSignature.of(path) != signature else { return }
        reload(trigger: .stat)
    }

    private func rotate(_ ring: TicketKeyRing) {
        guard let key = TicketKey.random() else {
            metrics.recordReload(result: "failure", keys: ring.keys.keys.count)
            logger.error("cannot make a random ticket key; the keys in use stay")
            return
        }
        let keys = ring.keys.rotated(to: key)
        ring.publish(keys)
        metrics.recordReload(result: "success", keys: keys.keys.count)
        logger.info("random ticket key rotated", metadata: ["keys": "\(keys.keys.count)"])
    }

    static func read(_ path: String) throws -> TicketKeySet {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, limit: 1 << 20)
        } catch {
            throw StartupFailure("--ticket-keys \(path): \(error)")
        }
        return try TicketKeyFile.parse(bytes, path: path)
    }

    static let worldReadableWarning =
        "the ticket key file is readable by every user; anyone who reads it can decrypt recorded sessions "
        + "(chmod 0400 or 0440, or defaultMode: 0400 for a Kubernetes Secret)"

    /// Whether others than the file's owner and group may read it.
    static func isReadableByOthers(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IROTH != 0
    }

    /// Warns, naming the file, when others than its owner and group may read it.
    private static func warnIfReadableByOthers(_ path: String, logger: Logger) {
        guard isReadableByOthers(path) else { return }
        logger.warning(
            "\(worldReadableWarning)",
            metadata: ["file": "\(path)"])
    }
}
