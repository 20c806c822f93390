import CertgatePosix
import Glibc
import LibEV
import Logging

/// Why a token file could not be used when certgate started: one line naming the file, never its content.
public struct AdminTokenError: Error, Equatable, CustomStringConvertible {
    /// The token file, as given.
    public let path: String
    /// What is wrong with it, e.g. "token file is empty".
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `FILE: reason`.
    public var description: String { "\(path): \(reason)" }
}

/// The bearer token of the admin listener (`--admin-token-file`): loaded from a file, compared in constant
/// time, and re-read when the file changes so a rotated token is in force within a couple of seconds.
///
/// The token is the file's content with surrounding whitespace and line breaks trimmed: printable ASCII
/// without spaces, at most `maximumLength` bytes, so that any HTTP client can send it as
/// `Authorization: Bearer TOKEN`. Only its SHA-256 is kept in memory, so nothing here can print, log or
/// expose the token itself; errors and log lines name the file only.
///
/// `refresh()` (every second once `startRefreshing(loop:)` ran) compares the file's `stat()` signature
/// with the one of the last good read and reads the file only when it changed, or when the last read was
/// so recent that a same-size rewrite within the filesystem's timestamp granularity could have gone
/// unseen. Each read reads the file twice and takes the content only when both agree, so a token caught
/// half-written is not taken. A file that later becomes unreadable or empty keeps the previous token in
/// force: one warning line, then a retry every refresh until it is usable again.
///
/// Loop-confined (not Sendable): use it on the control loop's thread, like `AdminServer`.
public final class AdminToken: CustomStringConvertible {
    /// The longest token accepted; the admin listener's request head is limited to 8 KiB.
    public static let maximumLength = 4096
    /// Token files larger than this are refused without being read to the end.
    static let maximumFileSize = 64 * 1024
    /// A signature whose change time is closer to "now" than this is not trusted to reveal the next change.
    static let racyWindowNanoseconds: Int64 = 2_000_000_000

    /// The token file, as given.
    public let path: String
    private let logger: Logger
    private let clock: () -> Int64
    private var digest: [UInt8]
    /// The signature of the file at the last good read, or `nil` when the next refresh must read anyway.
    private var trustedSignature: FileSignature?
    /// A warning was logged for the current run of failed reads.
    private var failing = false
    private var timer: TimerWatcher?
    /// Reads of the file (each of which reads it twice), for tests.
    private(set) var loads = 0

    /// Loads the token from `path`.
    ///
    /// - Throws: `AdminTokenError` naming `path` when the file cannot be read, is empty (after trimming),
    ///   is too large, or holds more than one printable-ASCII word.
    public convenience init(path: String, logger: Logger = Logger(label: "certgate.admin")) throws(AdminTokenError) {
        try self.init(path: path, logger: logger, clock: AdminToken.realtimeNanoseconds)
    }

    /// As `init(path:logger:)`, with the wall clock (nanoseconds since the epoch) replaceable for tests.
    init(path: String, logger: Logger, clock: @escaping () -> Int64) throws(AdminTokenError) {
        self.path = path
        self.logger = logger
        self.clock = clock
        var attempt = 0
        while true {
            attempt += 1
            let signature = FileSignature.of(path)
            switch Self.load(path) {
            case .token(let token):
                digest = SHA256.digest(token)
                loads = attempt
                trustedSignature = trusted(signature)
                return
            case .unusable(let reason):
                throw AdminTokenError(path: path, reason: reason)
            case .changing where attempt < 5:
                continue
            case .changing:
                throw AdminTokenError(path: path, reason: "token file keeps changing while it is read")
            }
        }
    }

    deinit {
        timer?.stop()
    }

    public var description: String { "admin token from \(path)" }

    // MARK: Checking requests

    /// Whether `request` carries the token in `Authorization: Bearer TOKEN`.
    public func authorizes(_ request: AdminRequest) -> Bool {
        authorizes(authorization: request.header("authorization"))
    }

    /// Whether an `Authorization` header value is `Bearer TOKEN` with this token. The scheme is
    /// case-insensitive (RFC 9110 §11.1); the token is compared through SHA-256 digests of both sides,
    /// every byte of them, so the time taken does not depend on how much of a guess was right.
    public func authorizes(authorization: String?) -> Bool {
        guard let authorization, let credential = Self.bearerCredential(authorization) else { return false }
        return SHA256.equalInConstantTime(SHA256.digest(credential), digest)
    }

    /// The token68 of `Bearer <token68>` (RFC 6750 §2.1), or `nil` for another scheme or shape.
    static func bearerCredential(_ value: String) -> [UInt8]? {
        let bytes = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count + 1 else { return nil }
        for index in scheme.indices where bytes[index] | 0x20 != scheme[index] {
            return nil
        }
        guard bytes[scheme.count] == UInt8(ascii: " ") else { return nil }
        let credential = bytes[(scheme.count + 1)...].drop { $0 == UInt8(ascii: " ") }
        guard !credential.isEmpty, credential.allSatisfy(isTokenByte) else { return nil }
        return Array(credential)
    }

    // MARK: Refreshing

    /// Re-reads the file if it changed since the last good read (or while reads are failing) and puts a
    /// new token in force at once. Never throws: problems are logged, once, and the previous token stays.
    public func refresh() {
        let signature = FileSignature.of(path)
        if !failing, let signature, signature == trustedSignature {
            return
        }
        loads += 1
        switch Self.load(path) {
        case .token(let token):
            let next = SHA256.digest(token)
            let changed = !SHA256.equalInConstantTime(next, digest)
            digest = next
            trustedSignature = trusted(signature)
            if failing {
                failing = false
                logger.notice(
                    changed ? "admin token file usable again; new token in force" : "admin token file usable again",
                    metadata: ["file": "\(path)"])
            } else if changed {
                logger.notice("admin token replaced", metadata: ["file": "\(path)"])
            }
        case .changing:
            // Caught mid-write: the next refresh reads again.
            trustedSignature = nil
        case .unusable(let reason):
            trustedSignature = nil
            if failing {
                logger.debug("admin token file still unusable", metadata: ["file": "\(path)", "error": "\(reason)"])
            } else {
                failing = true
                logger.warning(
                    "admin token file unusable; keeping the previous token and retrying every second",
                    metadata: ["file": "\(path)", "error": "\(reason)"])
            }
        }
    }

    /// Calls `refresh()` every `interval` on `loop` until `stopRefreshing()`.
    public func startRefreshing(loop: EventLoop, every interval: Duration = .seconds(1)) {
        let timer = self.timer ?? TimerWatcher(loop: loop) { [unowned self] in self.refresh() }
        self.timer = timer
        timer.start(after: interval, repeating: interval)
    }

    public func stopRefreshing() {
        timer?.stop()
    }

    /// `signature`, unless the file changed so recently that a rewrite keeping size and timestamps could
    /// still follow unnoticed (timestamps are only as fine as the kernel's clock tick); then `nil`, so the
    /// next refresh reads again.
    private func trusted(_ signature: FileSignature?) -> FileSignature? {
        guard let signature else { return nil }
        let newest = max(signature.modifiedNanoseconds, signature.changedNanoseconds)
        return clock() - newest >= Self.racyWindowNanoseconds ? signature : nil
    }

    static func realtimeNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: Reading the file

    enum LoadResult: Equatable {
        case token([UInt8])
        /// One line saying what is wrong, without any of the file's content.
        case unusable(String)
        /// Two reads in a row disagreed: the file is being written.
        case changing
    }

    /// Reads the file twice; the token when both reads agree and the content is a usable token.
    static func load(_ path: String) -> LoadResult {
        let first: [UInt8]
        switch readFile(path) {
        case .success(let bytes): first = bytes
        case .failure(let problem): return .unusable(problem.reason)
        }
        switch readFile(path) {
        case .success(let second) where second == first: break
        case .success: return .changing
        case .failure(let problem): return .unusable(problem.reason)
        }
        switch token(from: first) {
        case .success(let token): return .token(token)
        case .failure(let problem): return .unusable(problem.reason)
        }
    }

    struct Problem: Error {
        let reason: String
    }

    /// The token in a token file's content: trimmed of surrounding whitespace, printable ASCII only.
    static func token(from content: [UInt8]) -> Result<[UInt8], Problem> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard let first = content.firstIndex(where: { !isSpace($0) }),
            let last = content.lastIndex(where: { !isSpace($0) })
        else {
            return .failure(Problem(reason: "token file is empty"))
        }
        let token = Array(content[first...last])
        guard token.allSatisfy(isTokenByte) else {
            return .failure(
                Problem(
                    reason: "token file must hold one token of printable ASCII, without spaces or line breaks inside"))
        }
        guard token.count <= maximumLength else {
            return .failure(Problem(reason: "token is longer than \(maximumLength) bytes"))
        }
        return .success(token)
    }

    /// Visible ASCII: what a client can put in a header value after `Bearer ` without quoting.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E
    }

    /// The whole file, through `FileSystem.readFile` (non-blocking on open: a FIFO must not stall the
    /// control loop; bounded in size), with the failure said the token file's way.
    static func readFile(_ path: String) -> Result<[UInt8], Problem> {
        do {
            return .success(try FileSystem.readFile(path, limit: maximumFileSize))
        } catch {
            let reason =
                switch error.reason {
                case .system(let code): "cannot read token file: \(SystemError.message(for: code))"
                case .isDirectory: "cannot read token file: it is a directory"
                case .notRegularFile: "cannot read token file: not a regular file"
                case .tooLarge: "token file is larger than \(maximumFileSize / 1024) KiB"
                case .described(let message): "cannot read token file: \(message)"
                }
            return .failure(Problem(reason: reason))
        }
    }
}
