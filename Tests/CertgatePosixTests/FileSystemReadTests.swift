import CertgatePosix
import Foundation
import Glibc
import Testing

@Suite("FileSystem.readFile")
struct FileSystemReadTests {
    /// A fresh private directory, removed when the test ends.
    private final class Scratch {
        let path: String

        init() throws {
            path = NSTemporaryDirectory() + "/certgate-posix-" + UUID().uuidString
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o700])
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let file = path + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            return file
        }
    }

    private func failure(_ path: String, limit: Int = 16 << 20) -> FileError? {
        do {
            _ = try FileSystem.readFile(path, limit: limit)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsAWholeFileAcrossChunks() throws {
        let scratch = try Scratch()
        let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let file = try scratch.write("big", content)
        #expect(try FileSystem.readFile(file) == content)
        #expect(try FileSystem.readFile(try scratch.write("empty", [])) == [])
    }

    @Test func aFileAtTheLimitIsReadAndOneByteMoreIsRefused() throws {
        let scratch = try Scratch()
        let exact = try scratch.write("exact", [UInt8](repeating: 1, count: 4096))
        let over = try scratch.write("over", [UInt8](repeating: 1, count: 4097))
        #expect(try FileSystem.readFile(exact, limit: 4096).count == 4096)
        let error = try #require(failure(over, limit: 4096))
        #expect(error.reason == .tooLarge(limit: 4096))
        #expect(error.description == "\(over): larger than 4 KiB")
        #expect(FileError(path: "f", reason: .tooLarge(limit: 16 << 20)).description == "f: larger than 16 MiB")
    }

    @Test func missingFilesDirectoriesAndFIFOsFailWithTheirReason() throws {
        let scratch = try Scratch()
        let missing = scratch.path + "/missing"
        #expect(failure(missing)?.reason == .system(ENOENT))
        #expect(failure(missing)?.description == "\(missing): No such file or directory")
        #expect(failure(scratch.path)?.reason == .isDirectory)
        #expect(failure(scratch.path)?.description == "\(scratch.path): is a directory")
        // A FIFO without a writer would block a plain open() for ever.
        let fifo = scratch.path + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(failure(fifo)?.reason == .notRegularFile)
        #expect(failure(fifo)?.description == "\(fifo): not a regular file")
    }

    @Test func errorsAreEqualWhenTheyReadTheSame() {
        #expect(FileError(path: "f", errno: ENOENT) == FileError(path: "f", message: "No such file or directory"))
        #expect(FileError(path: "f", reason: .isDirectory) != FileError(path: "g", reason: .isDirectory))
    }
}
