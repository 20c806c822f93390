import Glibc

/// Runs a helper program (openssl, python3, sha256sum) from a test, with every descriptor it creates
/// closed exactly once, by itself.
///
/// Foundation's `Process` is not used: on Linux it can close descriptors it does not own when several
/// processes are spawned concurrently (swiftlang/swift#57827), and Swift Testing runs suites in
/// parallel, so another test's socket was closed under it ("read: Bad file descriptor" in
/// AdminServerTests). Here the channels are created close-on-exec (no other spawn can inherit them),
/// the child gets them through `posix_spawn` file actions, and both ends are closed by this function only.
public enum Command {
    public struct Result {
        public var status: Int32
        public var standardOutput: [UInt8]
        public var standardError: [UInt8]

        public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
        public var errorText: String { String(decoding: standardError, as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `executable` (an absolute path) with `arguments`, standard input from `inputFile` (else
    /// /dev/null), and returns its exit status and everything it wrote.
    public static func run(_ executable: String, _ arguments: [String], inputFile: String? = nil) throws -> Result {
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        // Socket pairs rather than pipe2() (which Glibc's Swift module does not export): the same
        // one-way use, created close-on-exec atomically.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &output) == 0 else {
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        guard socketpair(AF_UNIX, type, 0, &errors) == 0 else {
            close(output[0])
            close(output[1])
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputFile ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        // The write ends belong to the child now (or to nobody, if the spawn failed).
        close(output[1])
        close(errors[1])
        guard spawned == 0 else {
            close(output[0])
            close(errors[0])
            throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(spawned)))")
        }
        let (stdout, stderr) = readBoth(output[0], errors[0])
        close(output[0])
        close(errors[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exitStatus, standardOutput: stdout, standardError: stderr)
    }

    /// Reads two descriptors to their end, whichever has data (a child filling one pipe while the other
    /// is read would otherwise block forever).
    private static func readBoth(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open[0] || open[1] {
            var fds = [
                pollfd(fd: open[0] ? first : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open[1] ? second : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress!, $0.count) }
                if n > 0 {
                    collected[index] += buffer[..<n]
                } else if n == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        return (collected[0], collected[1])
    }
}
