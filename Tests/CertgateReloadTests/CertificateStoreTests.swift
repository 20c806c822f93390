import CertgateCertificates
import CertgatePosix
import Foundation
import Testing

@testable import CertgateReload

@Suite("Certificate store: incremental, transactional reloads")
struct CertificateStoreTests {
    @Test func nothingChangedMeansNothingReadAndNothingPublished() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let store = try fixture.store()
        #expect(!store.hasChanges())
        let report = store.reload(trigger: .stat, forceRead: false)
        #expect(report.result == .unchanged)
        #expect(report.snapshot == nil)
        #expect(report.sourcesRead == 0)
        #expect(report.outcome("a") == .unchanged)
    }

    @Test func forcedReadOfSameContentParsesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let store = try fixture.store()
        let report = store.reload(trigger: .signal, forceRead: true)
        #expect(report.sourcesRead == 1)
        #expect(report.sourcesParsed == 0)
        #expect(report.result == .unchanged)
    }

    @Test func rotationReplacesOnlyTheChangedSource() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        for index in 0..<5 {
            try fixture.install("other\(index).pem", fixture.issue("o\(index)", san: "DNS:o\(index).test").pem)
        }
        let store = try fixture.store()
        let before = store.snapshot
        let a2 = try fixture.issue("a2", san: "DNS:a.test")
        try fixture.install("a.pem", a2.pem)
        #expect(store.hasChanges())
        let report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.result == .success)
        #expect(report.outcome("a") == .replaced(oldSerial: a1.serial, newSerial: a2.serial))
        #expect(report.sourcesRead == 1)
        #expect(report.sourcesParsed == 1)
        #expect(report.changes.count == 1)
        #expect(report.snapshot?.servedSerial(for: "a.test") == a2.serial)
        #expect(store.snapshot.servedSerial(for: "a.test") == a2.serial)
        // The old snapshot is untouched: connections that started with it keep resolving against it.
        #expect(before.servedSerial(for: "a.test") == a1.serial)
        #expect(!store.hasChanges())
    }

    @Test func sameContentUnderANewInodeIsUnchanged() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        let store = try fixture.store()
        try fixture.install("a.pem", a1.pem)
        #expect(store.hasChanges())
        let report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.result == .unchanged)
        #expect(report.sourcesRead == 1)
        #expect(report.sourcesParsed == 0)
        #expect(!store.hasChanges())
    }

    @Test func aBrokenRotationKeepsTheLastGoodCertificateAndReportsOnce() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        try fixture.install("b.pem", fixture.issue("b1", san: "DNS:b.test").pem)
        let store = try fixture.store()
        try fixture.install("a.pem", "-----BEGIN CERTIFICATE-----\ngarbage\n")
        let b2 = try fixture.issue("b2", san: "DNS:b.test")
        try fixture.install("b.pem", b2.pem)

        let first = store.reload(trigger: .inotify, forceRead: false)
        #expect(first.result == .failure)
        guard case .failed(let reason, let serving, let firstReport)? = first.outcome("a") else {
            Issue.record("expected a failure for a, got \(String(describing: first.outcome("a")))")
            return
        }
        #expect(reason.hasPrefix(fixture.directory + "/a.pem: "))
        #expect(serving == a1.serial)
        #expect(firstReport)
        // The healthy source still went live.
        #expect(first.snapshot?.servedSerial(for: "b.test") == b2.serial)
        #expect(store.snapshot.servedSerial(for: "a.test") == a1.serial)
        #expect(store.failingCount == 1)
        #expect(store.nextRetry != nil)

        let retry = store.reload(trigger: .timer, forceRead: false)
        #expect(retry.sourcesRead == 1, "a failing source is re-read on every reload")
        guard case .failed(_, _, let reported)? = retry.outcome("a") else {
            Issue.record("expected the failure to persist")
            return
        }
        #expect(!reported, "the same failure is not reported twice")

        let a2 = try fixture.issue("a2", san: "DNS:a.test")
        try fixture.install("a.pem", a2.pem)
        let fixed = store.reload(trigger: .inotify, forceRead: false)
        #expect(fixed.result == .success)
        #expect(fixed.outcome("a") == .replaced(oldSerial: a1.serial, newSerial: a2.serial))
        #expect(store.failingCount == 0)
        #expect(store.nextRetry == nil)
    }

    @Test func keyMismatchAndEmptyFilesAreFailuresNamingTheFile() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        let store = try fixture.store()
        let x = try fixture.pki.leaf("x", san: "DNS:a.test")
        let y = try fixture.pki.leaf("y", san: "DNS:a.test")
        try fixture.install(
            "a.pem", String(contentsOfFile: x.crt, encoding: .utf8) + String(contentsOfFile: y.key, encoding: .utf8))
        let mismatch = store.reload(trigger: .inotify, forceRead: false)
        guard case .failed(let reason, let serving, _)? = mismatch.outcome("a") else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason == "\(fixture.directory)/a.pem: private key does not match the certificate")
        #expect(serving == a1.serial)

        try fixture.install("a.pem", "")
        let empty = store.reload(trigger: .inotify, forceRead: false)
        guard case .failed(let emptyReason, _, let reported)? = empty.outcome("a") else {
            Issue.record("expected a failure")
            return
        }
        #expect(emptyReason.hasPrefix("\(fixture.directory)/a.pem: "))
        #expect(emptyReason != reason)
        #expect(reported, "a different reason is reported again")
        #expect(store.snapshot.servedSerial(for: "a.test") == a1.serial)
    }

    @Test func newFilesGoLiveAndRemovedOnesStopBeingServed() throws {
        let fixture = try StoreFixture()
        let a = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a.pem)
        let store = try fixture.store()
        let b = try fixture.issue("b1", san: "DNS:b.test")
        try fixture.install("b.pem", b.pem)
        #expect(store.hasChanges())
        let added = store.reload(trigger: .stat, forceRead: false)
        #expect(added.outcome("b") == .added(serial: b.serial))
        #expect(store.snapshot.servedSerial(for: "b.test") == b.serial)

        try fixture.remove("b.pem")
        #expect(store.hasChanges())
        let removed = store.reload(trigger: .inotify, forceRead: false)
        #expect(removed.outcome("b") == .removed(serial: b.serial))
        #expect(removed.result == .success)
        // No match: the default (first by name) is served.
        #expect(store.snapshot.servedSerial(for: "b.test") == a.serial)
        #expect(store.snapshot.count == 1)
    }

    @Test func aReloadThatWouldLeaveNothingChangesNothing() throws {
        let fixture = try StoreFixture()
        let a = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a.pem)
        let store = try fixture.store()
        try fixture.remove("a.pem")
        let report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.result == .failure)
        #expect(report.snapshot == nil)
        #expect(report.problems.first?.reason.contains("no certificate to serve") == true)
        #expect(store.snapshot.servedSerial(for: "a.test") == a.serial)
        guard case .failed(_, let serving, _)? = report.outcome("a") else {
            Issue.record("the removal must be reported as not applied")
            return
        }
        #expect(serving == a.serial)
        // Once it is back, it is served as before and the failure is over.
        try fixture.install("a.pem", a.pem)
        let back = store.reload(trigger: .inotify, forceRead: false)
        #expect(back.result == .unchanged)
        #expect(store.failingCount == 0)
    }

    @Test func losingTheDefaultCertificateChangesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let b = try fixture.issue("b1", san: "DNS:b.test")
        try fixture.install("b.pem", b.pem)
        let store = try fixture.store(defaultName: "b")
        try fixture.remove("b.pem")
        let report = store.reload(trigger: .inotify, forceRead: false)
        #expect(report.result == .failure)
        #expect(report.problems.first?.reason.hasPrefix("--default-cert: no certificate named 'b'") == true)
        #expect(store.snapshot.servedSerial(for: nil) == b.serial)
    }

    @Test func anUnreadableDirectoryKeepsItsCertificatesUntilItIsBack() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        let store = try fixture.store()
        try FileManager.default.removeItem(atPath: fixture.directory)
        #expect(store.hasChanges())
        let gone = store.reload(trigger: .inotify, forceRead: false)
        #expect(gone.result == .failure)
        #expect(gone.snapshot == nil)
        #expect(gone.problems.count == 1)
        #expect(gone.problems.first?.reason.hasPrefix(fixture.directory + ": ") == true)
        #expect(store.snapshot.servedSerial(for: "a.test") == a1.serial)

        _ = try fixture.pki.mkdir("certs")
        let a2 = try fixture.issue("a2", san: "DNS:a.test")
        try fixture.install("a.pem", a2.pem)
        let back = store.reload(trigger: .stat, forceRead: false)
        #expect(back.result == .success)
        #expect(back.outcome("a") == .replaced(oldSerial: a1.serial, newSerial: a2.serial))
        #expect(store.failingCount == 0)
    }

    @Test func expiredCertificatesAreRefusedUnlessAllowed() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        let expired = try fixture.pki.expiredLeaf("old", san: "DNS:a.test")
        let expiredPEM =
            try String(contentsOfFile: expired.crt, encoding: .utf8)
            + String(contentsOfFile: expired.key, encoding: .utf8)

        let store = try fixture.store()
        try fixture.install("a.pem", expiredPEM)
        let refused = store.reload(trigger: .inotify, forceRead: false)
        guard case .failed(let reason, let serving, _)? = refused.outcome("a") else {
            Issue.record("an expired certificate must not replace a valid one")
            return
        }
        #expect(reason.hasPrefix("\(fixture.directory)/a.pem: certificate expired at "))
        #expect(reason.hasSuffix("(refused; --allow-expired serves it anyway)"))
        #expect(serving == a1.serial)

        let error = #expect(throws: CertificateLoadError.self) { try fixture.store() }
        if case .notValidNow(let path, _)? = error {
            #expect(path == fixture.directory + "/a.pem")
        } else {
            Issue.record("start-up must refuse the expired certificate, got \(String(describing: error))")
        }

        let lenient = try fixture.store(allowExpired: true)
        #expect(lenient.snapshot.servedSerial(for: "a.test") == (try fixture.serial(ofCertificateAt: expired.crt)))
    }

    @Test func kubernetesDataSwapIsARotation() throws {
        let fixture = try StoreFixture()
        let secret = try fixture.pki.mkdir("certs/api")
        func publish(_ version: String, _ issued: (pem: String, serial: String), pair: (crt: String, key: String))
            throws
        {
            let versioned = secret + "/..\(version)"
            try FileManager.default.createDirectory(atPath: versioned, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: pair.crt, toPath: versioned + "/tls.crt")
            try FileManager.default.copyItem(atPath: pair.key, toPath: versioned + "/tls.key")
            try? FileManager.default.removeItem(atPath: secret + "/..data_tmp")
            try FileManager.default.createSymbolicLink(
                atPath: secret + "/..data_tmp", withDestinationPath: "..\(version)")
            #expect(rename(secret + "/..data_tmp", secret + "/..data") == 0)
        }
        let p1 = try fixture.pki.leaf("v1", san: "DNS:api.test")
        try publish("2026_01", (pem: "", serial: ""), pair: p1)
        try FileManager.default.createSymbolicLink(atPath: secret + "/tls.crt", withDestinationPath: "..data/tls.crt")
        try FileManager.default.createSymbolicLink(atPath: secret + "/tls.key", withDestinationPath: "..data/tls.key")
        let store = try fixture.store()
        #expect(store.watchDirectories.contains(secret))
        #expect(!store.watchDirectories.contains { $0.contains("..2026") }, "timestamped directories come and go")

        let p2 = try fixture.pki.leaf("v2", san: "DNS:api.test")
        try publish("2026_02", (pem: "", serial: ""), pair: p2)
        try FileManager.default.removeItem(atPath: secret + "/..2026_01")
        #expect(store.hasChanges())
        let report = store.reload(trigger: .inotify, forceRead: false)
        #expect(
            report.outcome("api")
                == .replaced(
                    oldSerial: try fixture.serial(ofCertificateAt: p1.crt),
                    newSerial: try fixture.serial(ofCertificateAt: p2.crt)))
    }

    @Test func filesSymlinkedOutOfTheirDirectoryWatchTheTargetDirectory() throws {
        let fixture = try StoreFixture()
        let vault = try fixture.pki.mkdir("vault")
        try fixture.issue("a1", san: "DNS:a.test").pem.write(
            toFile: vault + "/a.pem", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: fixture.directory + "/a.pem", withDestinationPath: vault + "/a.pem")
        let store = try fixture.store()
        #expect(store.watchDirectories.contains(fixture.directory))
        #expect(store.watchDirectories.contains(PathName.resolved(vault)!))
    }

    @Test func halfPairsAndDuplicatesDuringReloadKeepWhatIsServed() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        let store = try fixture.store()
        // a.crt + a.key next to a.pem: two sources claim the name 'a'.
        let a2 = try fixture.pki.leaf("a2", san: "DNS:a.test")
        try FileManager.default.copyItem(atPath: a2.crt, toPath: fixture.directory + "/a.crt")
        try FileManager.default.copyItem(atPath: a2.key, toPath: fixture.directory + "/a.key")
        let duplicate = store.reload(trigger: .inotify, forceRead: false)
        guard case .failed(let reason, let serving, _)? = duplicate.outcome("a") else {
            Issue.record("a name claimed twice must fail, got \(String(describing: duplicate.outcome("a")))")
            return
        }
        #expect(reason.hasPrefix("duplicate certificate name 'a'"))
        #expect(serving == a1.serial)
        #expect(store.snapshot.servedSerial(for: "a.test") == a1.serial)

        // A lone b.crt is a half pair: reported, nothing served for it.
        try fixture.remove("a.crt")
        try fixture.remove("a.key")
        try FileManager.default.copyItem(atPath: a2.crt, toPath: fixture.directory + "/b.crt")
        let half = store.reload(trigger: .inotify, forceRead: false)
        #expect(half.outcome("a") == .unchanged)
        guard case .failed(let halfReason, nil, true)? = half.outcome("b") else {
            Issue.record("a half pair must fail, got \(String(describing: half.outcome("b")))")
            return
        }
        #expect(halfReason == "\(fixture.directory)/b.crt: no matching b.key beside it")
    }

    @Test func reportRendersAsJSON() throws {
        let fixture = try StoreFixture()
        let a1 = try fixture.issue("a1", san: "DNS:a.test")
        try fixture.install("a.pem", a1.pem)
        try fixture.install("b.pem", fixture.issue("b1", san: "DNS:b.test").pem)
        let store = try fixture.store()
        let a2 = try fixture.issue("a2", san: "DNS:a.test")
        try fixture.install("a.pem", a2.pem)
        try fixture.install("b.pem", "not \"pem\"\n")
        let report = store.reload(trigger: .admin, forceRead: true)
        let text = report.json(certificates: store.snapshot.count)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "failure")
        #expect(object["trigger"] as? String == "admin")
        #expect(object["certificates"] as? Int == 2)
        let sources = try #require(object["sources"] as? [[String: Any]])
        #expect(sources.count == 2)
        #expect(sources[0]["name"] as? String == "a")
        #expect(sources[0]["status"] as? String == "reloaded")
        #expect(sources[0]["serial"] as? String == a2.serial)
        #expect(sources[0]["previous_serial"] as? String == a1.serial)
        #expect(sources[1]["name"] as? String == "b")
        #expect(sources[1]["status"] as? String == "failed")
        #expect((sources[1]["reason"] as? String)?.hasPrefix(fixture.directory + "/b.pem: ") == true)
        #expect(sources[1]["serving_serial"] is String)
    }

    @Test func reportJSONEscapesLikeTheJSONLogs() throws {
        let reason = "bad\nline\u{2028}\u{7F} \"quoted\""
        let failed = SourceOutcome.failed(reason: reason, serving: nil, firstReport: true)
        let report = ReloadReport(
            trigger: .signal, outcomes: [(name: "a", outcome: failed)],
            problems: [(reason: "tab\there", firstReport: true)], snapshot: nil,
            duration: .milliseconds(1_500))
        let text = report.json(certificates: 0)
        #expect(text.contains(#""reason":"bad\nline\u2028\u007f \"quoted\"""#))
        #expect(text.contains(#""problems":["tab\there"]"#))
        #expect(text.contains(#""duration_seconds":1.5,"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let sources = try #require(object["sources"] as? [[String: Any]])
        #expect(sources.first?["reason"] as? String == reason)
    }
}
