import CertgateConfig
import CertgateTLS
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateCertificates

@Suite("Loading certificates and the errors users see")
struct CertificateLoadingTests {
    @Test func combinedPemLoadsWithNamesKeyTypeAndDates() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf("api", san: "DNS:api.example.com,DNS:*.api.example.com")
        let dir = try pki.mkdir("certs")
        _ = try pki.write("certs/api.pem", try pki.read("api.crt") + pki.read("api.key"))
        _ = leaf
        let sources = try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        #expect(sources.map(\.name) == ["api"])
        let loaded = try CertificateLoader.load(sources[0])
        #expect(loaded.certifiedKey.leaf.serverNames == ["api.example.com", "*.api.example.com"])
        #expect(loaded.certifiedKey.privateKey.typeDescription == "ECDSA-P256")
        #expect(loaded.certifiedKey.leaf.notAfter > Int64(Date().timeIntervalSince1970) + 19 * 86400)
        #expect(loaded.certifiedKey.leaf.notBefore < Int64(Date().timeIntervalSince1970) + 60)
    }

    @Test func rsaKeyIsDescribedWithItsSize() throws {
        let pki = try TestPKI()
        let pair = try pki.leaf("legacy", san: "DNS:legacy.example.com", rsa: true)
        let loaded = try CertificateLoader.load(
            CertificateSource(name: "legacy", certificatePath: pair.crt, keyPath: pair.key))
        #expect(loaded.certifiedKey.privateKey.typeDescription == "RSA-2048")
    }

    @Test func commonNameIsUsedOnlyWithoutSANs() throws {
        let pki = try TestPKI()
        let pair = try pki.leaf("old", cn: "old.example.com", san: nil)
        let loaded = try CertificateLoader.load(
            CertificateSource(name: "old", certificatePath: pair.crt, keyPath: pair.key))
        #expect(loaded.certifiedKey.leaf.dnsNames.isEmpty)
        #expect(loaded.certifiedKey.leaf.serverNames == ["old.example.com"])
    }

    @Test func allThreeDirectoryLayoutsAndDotEntries() throws {
        let pki = try TestPKI()
        try pki.leaf("a", san: "DNS:a.example.com")
        try pki.leaf("b", san: "DNS:b.example.com")
        try pki.leaf("c", san: "DNS:c.example.com")
        let dir = try pki.mkdir("certs")
        _ = try pki.write("certs/a.pem", try pki.read("a.crt") + pki.read("a.key"))
        _ = try pki.write("certs/b.crt", try pki.read("b.crt"))
        _ = try pki.write("certs/b.key", try pki.read("b.key"))
        // Kubernetes secret layout: tls.crt -> ..data/tls.crt, ..data -> ..2026_11_23_x
        _ = try pki.mkdir("certs/c/..2026_11_23_10_00_00.1")
        _ = try pki.write("certs/c/..2026_11_23_10_00_00.1/tls.crt", try pki.read("c.crt"))
        _ = try pki.write("certs/c/..2026_11_23_10_00_00.1/tls.key", try pki.read("c.key"))
        try FileManager.default.createSymbolicLink(
            atPath: pki.path("certs/c/..data"), withDestinationPath: "..2026_11_23_10_00_00.1")
        try FileManager.default.createSymbolicLink(
            atPath: pki.path("certs/c/tls.crt"), withDestinationPath: "..data/tls.crt")
        try FileManager.default.createSymbolicLink(
            atPath: pki.path("certs/c/tls.key"), withDestinationPath: "..data/tls.key")
        _ = try pki.write("certs/.hidden.pem", "not a certificate")
        _ = try pki.write("certs/README.txt", "ignored")
        let sources = try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        #expect(sources.map(\.name) == ["a", "b", "c"])
        #expect(sources[2].certificatePath.hasSuffix("/c/tls.crt"))
        let loaded = try CertificateLoader.loadAll(sources)
        #expect(
            loaded.map { $0.certifiedKey.leaf.dnsNames } == [["a.example.com"], ["b.example.com"], ["c.example.com"]])
    }

    @Test func certKeyPairIsNamedAfterTheCertificateStem() throws {
        let pki = try TestPKI()
        let pair = try pki.leaf("shop", san: "DNS:shop.example.com")
        let sources = try CertificateSourceScanner.scan(
            directories: [], pairs: [CertificatePair(certificatePath: pair.crt, keyPath: pair.key)])
        #expect(sources.map(\.name) == ["shop"])
    }

    @Test(arguments: [
        ("garbage", "this is not PEM\n", "no certificate found"),
        ("empty", "", "file is empty"),
        ("broken", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "bad PEM certificate"),
    ])
    func badCertificateFilesNameTheFile(name: String, content: String, expected: String) throws {
        let pki = try TestPKI()
        try pki.leaf("k", san: "DNS:k.example.com")
        let dir = try pki.mkdir("certs")
        _ = try pki.write("certs/\(name).crt", content)
        _ = try pki.write("certs/\(name).key", try pki.read("k.key"))
        let sources = try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        let error = #expect(throws: CertificateLoadError.self) { try CertificateLoader.load(sources[0]) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix(pki.path("certs/\(name).crt") + ": "), "got: \(text)")
        #expect(text.contains(expected), "got: \(text)")
    }

    @Test func missingKeyInCombinedFile() throws {
        let pki = try TestPKI()
        try pki.leaf("solo", san: "DNS:solo.example.com")
        let file = try pki.write("solo.pem", try pki.read("solo.crt"))
        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateLoader.load(CertificateSource(name: "solo", certificatePath: file, keyPath: file))
        }
        #expect(error?.description == "\(file): no private key found (expected a PEM 'BEGIN PRIVATE KEY' block)")
    }

    @Test func mismatchedKeyNamesBothFiles() throws {
        let pki = try TestPKI()
        let one = try pki.leaf("one", san: "DNS:one.example.com")
        let two = try pki.leaf("two", san: "DNS:two.example.com")
        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateLoader.load(CertificateSource(name: "one", certificatePath: one.crt, keyPath: two.key))
        }
        #expect(error?.description == "\(two.key): private key does not match the certificate in \(one.crt)")
    }

    @Test func encryptedKeyIsRefusedWithoutPrompting() throws {
        let pki = try TestPKI()
        let pair = try pki.leaf("enc", san: "DNS:enc.example.com")
        let encrypted = try Command.run(
            "/usr/bin/openssl",
            ["pkey", "-in", pair.key, "-aes256", "-passout", "pass:secret", "-out", pki.path("enc.key.enc")])
        try #require(encrypted.status == 0, "\(encrypted.errorText)")
        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateLoader.load(
                CertificateSource(name: "enc", certificatePath: pair.crt, keyPath: pki.path("enc.key.enc")))
        }
        #expect(error?.description.contains("encrypted") == true, "got: \(error?.description ?? "")")
    }

    @Test func missingFilesAndDirectoriesAreNamed() throws {
        let pki = try TestPKI()
        let missingDir = pki.path("nope")
        let dirError = #expect(throws: CertificateLoadError.self) {
            try CertificateSourceScanner.scan(directories: [missingDir], pairs: [])
        }
        #expect(dirError?.description == "\(missingDir): No such file or directory")
        let missingFile = pki.path("absent.crt")
        let fileError = #expect(throws: CertificateLoadError.self) {
            try CertificateLoader.load(
                CertificateSource(name: "absent", certificatePath: missingFile, keyPath: missingFile))
        }
        #expect(fileError?.description == "\(missingFile): No such file or directory")
    }

    @Test func halfPairsAndEmptyDirectoriesAreErrors() throws {
        let pki = try TestPKI()
        try pki.leaf("x", san: "DNS:x.example.com")
        let dir = try pki.mkdir("half")
        _ = try pki.write("half/x.crt", try pki.read("x.crt"))
        let half = #expect(throws: CertificateLoadError.self) {
            try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        }
        #expect(half?.description == "\(dir)/x.crt: no matching x.key beside it")
        let empty = try pki.mkdir("empty")
        let none = #expect(throws: CertificateLoadError.self) {
            try CertificateSourceScanner.scan(directories: [empty], pairs: [])
        }
        #expect(none?.description.hasPrefix("no certificate found in \(empty)") == true)
    }

    @Test func duplicateNamesAcrossDirectoriesAreErrors() throws {
        let pki = try TestPKI()
        try pki.leaf("d", san: "DNS:d.example.com")
        let combined = try pki.read("d.crt") + pki.read("d.key")
        let first = try pki.mkdir("one")
        let second = try pki.mkdir("two")
        _ = try pki.write("one/d.pem", combined)
        _ = try pki.write("two/d.pem", combined)
        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateSourceScanner.scan(directories: [first, second], pairs: [])
        }
        #expect(error?.description.hasPrefix("duplicate certificate name 'd'") == true)
    }

    @Test func snapshotResolvesDefaultAndNames() throws {
        let pki = try TestPKI()
        let a = try pki.leaf("alpha", san: "DNS:alpha.example.com")
        let w = try pki.leaf("wild", san: "DNS:*.example.com")
        let loaded = try CertificateLoader.loadAll([
            CertificateSource(name: "wild", certificatePath: w.crt, keyPath: w.key),
            CertificateSource(name: "alpha", certificatePath: a.crt, keyPath: a.key),
        ])
        let byFirstName = try CertificateSnapshot(certificates: loaded, defaultName: nil)
        #expect(byFirstName.defaultCertificate.name == "alpha")
        #expect(byFirstName.certificate(forServerName: nil) === byFirstName.defaultCertificate.certifiedKey)
        #expect(byFirstName.certificate(forServerName: "x.example.com") === loaded[0].certifiedKey)
        #expect(byFirstName.certificate(forServerName: "unknown.test") === loaded[1].certifiedKey)

        let chosen = try CertificateSnapshot(certificates: loaded, defaultName: "wild")
        #expect(chosen.certificate(forServerName: "unknown.test") === loaded[0].certifiedKey)

        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateSnapshot(certificates: loaded, defaultName: "nope")
        }
        #expect(error?.description == "--default-cert: no certificate named 'nope' (loaded: alpha, wild)")
    }
}

@Suite("Kubernetes secret mounted directly as a certificate directory")
struct DirectSecretMountTests {
    @Test func caCrtBesideTlsPairIsTrustMaterialNotAHalfPair() throws {
        let pki = try TestPKI()
        try pki.leaf("svc", san: "DNS:svc.example.com")
        let dir = try pki.mkdir("secret")
        _ = try pki.write("secret/tls.crt", try pki.read("svc.crt"))
        _ = try pki.write("secret/tls.key", try pki.read("svc.key"))
        _ = try pki.write("secret/ca.crt", try pki.read("ca.crt"))
        let sources = try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        #expect(sources.map(\.name) == ["tls"])
        // Any other lone certificate is still reported.
        _ = try pki.write("secret/other.crt", try pki.read("svc.crt"))
        let error = #expect(throws: CertificateLoadError.self) {
            try CertificateSourceScanner.scan(directories: [dir], pairs: [])
        }
        #expect(error?.description == "\(dir)/other.crt: no matching other.key beside it")
    }
}
