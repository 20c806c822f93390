import CertgateTestSupport
import Foundation
import Glibc
import Testing

@testable import CertgateAdmin

/// The token digest (OpenSSL's SHA-256) against FIPS 180-4's examples and the system's `sha256sum`.
@Suite struct SHA256Tests {
    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test(
        "FIPS 180-4 examples",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func examples(message: String, digest: String) {
        #expect(Self.hex(SHA256.digest(Array(message.utf8))) == digest)
    }

    @Test("agrees with sha256sum at every padding boundary")
    func agreesWithSha256sum() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let lengths = [1, 54, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 1000, 4097]
        var files: [String] = []
        var expected: [String: String] = [:]
        for length in lengths {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length) }
            let file = directory.path + "/m\(length)"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            files.append(file)
            expected[file] = Self.hex(SHA256.digest(bytes))
        }
        let result = try Command.run("/usr/bin/sha256sum", files)
        let output = result.outputText
        #expect(result.status == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == lengths.count)
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 1)
            let file = String(parts[1].drop { $0 == " " || $0 == "*" })
            #expect(expected[file] == String(parts[0]), "\(file)")
        }
    }

    @Test func constantTimeEquality() {
        let a = SHA256.digest(Array("a".utf8))
        var b = a
        #expect(SHA256.equalInConstantTime(a, b))
        b[31] ^= 1
        #expect(!SHA256.equalInConstantTime(a, b))
        b = a
        b[0] ^= 0x80
        #expect(!SHA256.equalInConstantTime(a, b))
        #expect(!SHA256.equalInConstantTime(a, Array(a.prefix(16))))
        #expect(!SHA256.equalInConstantTime([], []))
    }
}

@Suite struct AdminTokenTests {
    private static let secret = "s3cr3t-T0ken_value.9f2c"
    private static let oneWord =
        "token file must hold one token of printable ASCII, without spaces or line breaks inside"
    private static let rotated = "r0tated+Token/value=="

    /// A clock far ahead of every file's timestamps, so a signature is trusted at once.
    private static let later: @Sendable () -> Int64 = { AdminToken.realtimeNanoseconds() + 3_600_000_000_000 }

    // MARK: Parsing

    @Test(
        "the Authorization value must be Bearer and one token",
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("Bearer   abc", "abc"),
            ("Bearer a.b-c_d~e+f/g==", "a.b-c_d~e+f/g=="),
        ]
    )
    func bearerAccepted(header: String, credential: String) {
        #expect(AdminToken.bearerCredential(header) == Array(credential.utf8))
    }

    @Test(
        "other schemes and shapes carry no token",
        arguments: [
            "", "Bearer", "Bearer ", "Bearerabc", "Basic YWRtaW46", "Bearer a b", "Bearer a, Bearer b",
            "Token abc", "Bearer\tabc", " Bearer abc", "Bearer abc\u{7F}", "Bearer ab\u{E9}",
        ]
    )
    func bearerRefused(header: String) {
        #expect(AdminToken.bearerCredential(header) == nil)
    }

    @Test(
        "the token is the file's content with surrounding whitespace trimmed",
        arguments: [
            ("tok", "tok"), ("tok\n", "tok"), ("\r\n  tok \t\r\n\n", "tok"), ("\u{0B}\u{0C}tok", "tok"),
        ]
    )
    func trimming(content: String, token: String) throws {
        let parsed = try AdminToken.token(from: Array(content.utf8)).get()
        #expect(parsed == Array(token.utf8))
    }

    @Test(
        "unusable content is refused with a reason that quotes nothing from the file",
        arguments: [
            ("", "token file is empty"),
            ("\n\n  \t\n", "token file is empty"),
            ("secret word", Self.oneWord),
            ("secret\nsecond", Self.oneWord),
            ("secr\u{E9}t", Self.oneWord),
            ("secret\u{0}", Self.oneWord),
            (String(repeating: "x", count: 4097), "token is longer than 4096 bytes"),
        ]
    )
    func unusableContent(content: String, reason: String) {
        switch AdminToken.token(from: Array(content.utf8)) {
        case .success: Issue.record("accepted \(content.debugDescription)")
        case .failure(let problem):
            #expect(problem.reason == reason)
            #expect(!problem.reason.contains("secret") && !problem.reason.contains("xxxx"))
        }
    }

    @Test func aTokenOfTheMaximumLengthIsAccepted() throws {
        let longest = String(repeating: "x", count: AdminToken.maximumLength)
        #expect(try AdminToken.token(from: Array(longest.utf8)).get().count == AdminToken.maximumLength)
    }

    // MARK: Loading

    @Test func loadsAndChecksTheToken() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write("\(Self.secret)\n")
        let logs = CapturedLogs()
        let token = try AdminToken(path: file, logger: logs.logger)
        #expect(token.path == file)
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))
        #expect(token.authorizes(authorization: "bearer \(Self.secret)"))
        #expect(
            token.authorizes(
                AdminRequest(
                    method: "GET", path: "/metrics",
                    headers: ["Authorization": "Bearer \(Self.secret)"])))
        #expect(!token.authorizes(authorization: nil))
        #expect(!token.authorizes(authorization: Self.secret))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret.dropLast())"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret)x"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret.uppercased())"))
        #expect(!token.authorizes(authorization: "Basic \(Self.secret)"))
        #expect(!token.authorizes(AdminRequest(method: "GET", path: "/metrics")))
        #expect(!"\(token)".contains(Self.secret))
        #expect(!String(reflecting: token).contains(Self.secret))
        #expect(logs.lines.isEmpty)
    }

    @Test func startUpErrorsNameTheFileInOneLine() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        func error(_ path: String) -> String? {
            do {
                _ = try AdminToken(path: path, logger: CapturedLogs().logger)
                return nil
            } catch {
                return error.description
            }
        }
        let empty = try directory.write("\n  \n", to: "empty")
        #expect(error(empty) == "\(empty): token file is empty")
        let missing = directory.path + "/missing"
        #expect(error(missing) == "\(missing): cannot read token file: No such file or directory")
        #expect(error(directory.path) == "\(directory.path): cannot read token file: it is a directory")
        let spaced = try directory.write("\(Self.secret) \(Self.secret)\n", to: "spaced")
        let spacedError = try #require(error(spaced))
        #expect(spacedError.hasPrefix("\(spaced): token file must hold one token"))
        #expect(!spacedError.contains(Self.secret))
        let huge = try directory.write(String(repeating: "y", count: 70_000), to: "huge")
        #expect(error(huge) == "\(huge): token file is larger than 64 KiB")

        // A FIFO is refused without blocking on open (no writer will ever come).
        let fifo = directory.path + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(error(fifo) == "\(fifo): cannot read token file: not a regular file")

        if getuid() != 0 {
            let locked = try directory.write(Self.secret, to: "locked")
            #expect(chmod(locked, 0) == 0)
            #expect(error(locked) == "\(locked): cannot read token file: Permission denied")
        }
        for case let message? in [error(empty), error(missing), error(spaced)] {
            #expect(!message.contains("\n"))
        }
    }

    @Test func aSymlinkedTokenFileIsFollowed() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let target = try directory.write(Self.secret, to: "..data-token")
        let link = directory.path + "/token"
        #expect(symlink(target, link) == 0)
        let token = try AdminToken(path: link, logger: CapturedLogs().logger, clock: Self.later)
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))
        // A Kubernetes-style swap: the link now points at a new file.
        let next = try directory.write(Self.rotated, to: "..data-token2")
        #expect(unlink(link) == 0 && symlink(next, link) == 0)
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(Self.rotated)"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret)"))
    }

    // MARK: Refreshing

    @Test func aRotatedTokenIsInForceAfterOneRefresh() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write(Self.secret)
        let logs = CapturedLogs()
        let token = try AdminToken(path: file, logger: logs.logger, clock: Self.later)

        try directory.replace(with: "\(Self.rotated)\n")
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(Self.rotated)"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret)"))
        #expect(logs.lines(at: .notice).count == 1)
        #expect(logs.lines(at: .notice).first?.contains("admin token replaced") == true)
        #expect(logs.lines(at: .notice).first?.contains("file=\(file)") == true)

        // Rewritten in place, same inode.
        try directory.write(Self.secret)
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.rotated)"))
        #expect(logs.lines(at: .notice).count == 2)
        #expect(!logs.text.contains(Self.secret) && !logs.text.contains(Self.rotated))
    }

    @Test func anUnchangedFileIsNotReadAgain() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write(Self.secret)
        let logs = CapturedLogs()
        let token = try AdminToken(path: file, logger: logs.logger, clock: Self.later)
        let loads = token.loads
        for _ in 0..<5 { token.refresh() }
        #expect(token.loads == loads)
        // The same content written again changes the signature: read, found equal, nothing logged.
        try directory.replace(with: "\(Self.secret)\n")
        token.refresh()
        #expect(token.loads == loads + 1)
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))
        #expect(logs.lines.isEmpty)
    }

    @Test func aRecentlyChangedFileIsReadAgainUntilItsTimestampIsOldEnough() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write(Self.secret)
        // The real clock: the file was written just now, so a same-size rewrite within the same clock tick
        // could keep its signature; every refresh reads until the change is two seconds old.
        let token = try AdminToken(path: file, logger: CapturedLogs().logger)
        let loads = token.loads
        token.refresh()
        token.refresh()
        #expect(token.loads == loads + 2)
        // Same length, same inode: only the content says it changed.
        try directory.write(String(Self.secret.reversed()))
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(String(Self.secret.reversed()))"))
    }

    @Test func aFileThatBecomesUnusableKeepsThePreviousTokenWithOneWarning() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write(Self.secret)
        let logs = CapturedLogs()
        let token = try AdminToken(path: file, logger: logs.logger, clock: Self.later)

        try directory.write("\n")
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))
        let warnings = logs.lines(at: .warning)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("file=\(file)") == true)
        #expect(warnings.first?.contains("token file is empty") == true)

        // Still failing, in another way: retried on every refresh, but no second warning.
        let loads = token.loads
        #expect(unlink(file) == 0)
        token.refresh()
        token.refresh()
        try directory.write("two words")
        token.refresh()
        #expect(token.loads == loads + 3)
        #expect(logs.lines(at: .warning).count == 1)
        #expect(token.authorizes(authorization: "Bearer \(Self.secret)"))

        // Usable again, with a new token: in force at once, the old one refused, one notice.
        try directory.write("\(Self.rotated)\n")
        token.refresh()
        #expect(token.authorizes(authorization: "Bearer \(Self.rotated)"))
        #expect(!token.authorizes(authorization: "Bearer \(Self.secret)"))
        #expect(logs.lines(at: .notice).count == 1)
        #expect(logs.lines(at: .notice).first?.contains("usable again") == true)

        // Failing again warns again (once per failure streak).
        try directory.write("")
        token.refresh()
        token.refresh()
        #expect(logs.lines(at: .warning).count == 2)
        #expect(token.authorizes(authorization: "Bearer \(Self.rotated)"))

        #expect(!logs.text.contains(Self.secret))
        #expect(!logs.text.contains(Self.rotated))
        #expect(!logs.text.contains("two words"))
    }
}
