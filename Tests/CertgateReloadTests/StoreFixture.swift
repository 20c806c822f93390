import CertgateCertificates
import CertgateConfig
import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateReload

/// A temporary certificate directory with leaves that can be swapped in and out, and a store over it.
final class StoreFixture {
    let pki: TestPKI
    let directory: String

    init() throws {
        pki = try TestPKI()
        directory = try pki.mkdir("certs")
    }

    /// Issues a new leaf `issued` for `san` and returns its combined PEM text and serial.
    func issue(_ issued: String, san: String) throws -> (pem: String, serial: String) {
        let pair = try pki.leaf(issued, san: san)
        let pem =
            try String(contentsOfFile: pair.crt, encoding: .utf8) + String(contentsOfFile: pair.key, encoding: .utf8)
        return (pem, try serial(ofCertificateAt: pair.crt))
    }

    /// Writes `text` to `certs/NAME` atomically (temporary file + rename), like most rotation tools.
    func install(_ name: String, _ text: String) throws {
        let temporary = directory + "/." + name + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        #expect(rename(temporary, directory + "/" + name) == 0)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: directory + "/" + name)
    }

    func store(defaultName: String? = nil, allowExpired: Bool = false) throws -> CertificateStore {
        try CertificateStore(
            options: CertificateStoreOptions(
                directories: [directory], pairs: [],
                defaultName: defaultName, allowExpired: allowExpired))
    }

    func serial(ofCertificateAt path: String) throws -> String {
        let text = try Command.run("/usr/bin/openssl", ["x509", "-in", path, "-noout", "-serial"]).outputText
        return text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }
}

extension CertificateSnapshot {
    func servedSerial(for name: String?) -> String? {
        certificate(forServerName: name)?.leaf.serialNumber
    }
}

extension ReloadReport {
    func outcome(_ name: String) -> SourceOutcome? {
        outcomes.first { $0.name == name }?.outcome
    }
}
