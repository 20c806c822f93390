import CertgatePosix
import Foundation
import Testing

@testable import CertgateReload

@Suite("stat() check list: what the periodic check looks at, in slices")
struct StatCheckListTests {
    private let root: String

    init() throws {
        root = NSTemporaryDirectory() + "statchecklist-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/certs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/elsewhere", withIntermediateDirectories: true)
        for index in 0..<20 { try write("certs/host\(index).pem", "pem \(index)") }
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: root + "/" + name, atomically: false, encoding: .utf8)
    }

    /// The list as a store builds it after a reload: the directory, every `.pem` and its `.ocsp` beside it
    /// (missing), plus one pair-style file whose `.ocsp` lies in an unlisted directory.
    private func list() -> StatCheckList {
        var files: [(path: String, signature: FileSignature?)] = []
        for index in 0..<20 {
            let pem = root + "/certs/host\(index).pem"
            files.append((pem, FileSignature.of(pem)))
            files.append((root + "/certs/host\(index).ocsp", nil))
        }
        files.append((root + "/elsewhere/pair.ocsp", nil))
        return StatCheckList(directories: [root + "/certs": FileSignature.of(root + "/certs")], files: files)
    }

    @Test func missingFilesInAListedDirectoryAreLeftToTheDirectorysSignature() throws {
        let list = list()
        // 1 directory + 20 files + the missing file of the unlisted directory; not the 20 missing .ocsp.
        #expect(list.count == 22)
        #expect(!list.changed())
        try write("certs/host3.ocsp", "response")
        #expect(list.changed(), "the file appeared: its directory changed")
        try write("elsewhere/pair.ocsp", "response")
        let fresh = StatCheckList(
            directories: [:], files: [(root + "/elsewhere/pair.ocsp", nil), (root + "/elsewhere/gone", nil)])
        #expect(fresh.count == 2, "no listed directory: missing files are stat'ed")
        #expect(fresh.changed())
    }

    @Test func slicesCoverEveryPathOnceAndFindAnInPlaceRewriteInItsOwnSlice() throws {
        let list = list()
        for parts in [1, 3, 10, 22, 40] {
            #expect((0..<parts).allSatisfy { !list.changed(part: $0, of: parts) })
        }
        // Rewritten in place: same inode, new size and mtime; the directory does not change.
        try write("certs/host7.pem", "a longer rewritten pem")
        #expect(list.changed())
        for parts in [1, 3, 10, 22] {
            let hits = (0..<parts).filter { list.changed(part: $0, of: parts) }
            #expect(hits.count == 1, "parts=\(parts): one slice holds host7.pem, got \(hits)")
        }
    }

    @Test func aRemovedOrReplacedFileIsAChange() throws {
        let list = list()
        try FileManager.default.removeItem(atPath: root + "/certs/host0.pem")
        #expect(list.changed())
        let replaced = self.list()
        try write("certs/.tmp", "pem 19")
        #expect(rename(root + "/certs/.tmp", root + "/certs/host19.pem") == 0)
        #expect(replaced.changed())
    }

    @Test func anEmptyListNeverChanges() {
        let list = StatCheckList()
        #expect(list.count == 0)
        #expect(!list.changed())
        #expect(!list.changed(part: 0, of: 10))
    }

    @Test func filesBehindAKubernetesDataLinkAreLeftToTheirDirectory() throws {
        let secret = root + "/certs/api"
        let files = FileManager.default
        try files.createDirectory(atPath: secret + "/..2026_12_05_01", withIntermediateDirectories: true)
        try write("certs/api/..2026_12_05_01/tls.crt", "crt 1")
        try write("certs/api/..2026_12_05_01/tls.key", "key 1")
        try files.createSymbolicLink(atPath: secret + "/..data", withDestinationPath: "..2026_12_05_01")
        for file in ["tls.crt", "tls.key"] {
            try files.createSymbolicLink(atPath: secret + "/" + file, withDestinationPath: "..data/" + file)
        }
        // A plain file in a directory with no ..data link keeps its own stat().
        let plain = root + "/certs/host0.pem"
        let paths = [secret + "/tls.crt", secret + "/tls.key", plain]
        let list = StatCheckList(
            directories: [secret: FileSignature.of(secret), root + "/certs": FileSignature.of(root + "/certs")],
            files: paths.map { ($0, FileSignature.of($0)) })
        #expect(list.count == 3, "the two directories and host0.pem")
        #expect(!list.changed())
        // The kubelet's swap: a new timestamped directory, ..data_tmp pointing at it, renamed over ..data.
        try files.createDirectory(atPath: secret + "/..2026_12_05_02", withIntermediateDirectories: true)
        try write("certs/api/..2026_12_05_02/tls.crt", "crt 2")
        try write("certs/api/..2026_12_05_02/tls.key", "key 2")
        try files.createSymbolicLink(atPath: secret + "/..data_tmp", withDestinationPath: "..2026_12_05_02")
        #expect(rename(secret + "/..data_tmp", secret + "/..data") == 0)
        #expect(list.changed())
    }
}
