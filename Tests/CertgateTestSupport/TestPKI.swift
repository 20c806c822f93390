import Foundation

/// Test certificates made with the `openssl` command line in a fresh temporary directory.
public final class TestPKI {
    public let directory: String

    public init() throws {
        directory = NSTemporaryDirectory() + "certgate-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "30", "-keyout", path("ca.key"), "-out", path("ca.crt"), "-subj", "/CN=Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
        ])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func path(_ name: String) -> String { directory + "/" + name }

    /// Issues `NAME.crt` + `NAME.key` signed by the test CA. `san` like "DNS:a.example.com,DNS:b"; nil for none.
    /// `extensions`: more `openssl x509 -extfile` lines.
    @discardableResult
    public func leaf(
        _ name: String, cn: String? = nil, san: String?, rsa: Bool = false, days: Int = 20,
        extensions more: [String] = []
    ) throws -> (crt: String, key: String) {
        let keyOptions = rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        try openssl(
            ["req", "-new"] + keyOptions + [
                "-nodes", "-keyout", path("\(name).key"), "-out",
                path("\(name).csr"), "-subj", "/CN=\(cn ?? name)",
            ])
        var extensions = "basicConstraints=CA:FALSE\n"
        if let san { extensions += "subjectAltName=\(san)\n" }
        for line in more { extensions += line + "\n" }
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-days", "\(days)", "-extfile", path("\(name).ext"), "-out", path("\(name).crt"),
        ])
        return (path("\(name).crt"), path("\(name).key"))
    }

    public func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    public func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    public func mkdir(_ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
        return path(name)
    }

    /// Issues an expired `NAME.crt` + `NAME.key` (valid for one day, ten days ago), signed by the test CA.
    @discardableResult
    public func expiredLeaf(_ name: String, san: String) throws -> (crt: String, key: String) {
        try openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(name)",
        ])
        try "basicConstraints=CA:FALSE\nsubjectAltName=\(san)\n".write(
            toFile: path("\(name).ext"), atomically: true,
            encoding: .utf8)
        let format = DateFormatter()
        format.dateFormat = "yyyyMMddHHmmss'Z'"
        format.timeZone = TimeZone(identifier: "UTC")
        let now = Date()
        try "".write(toFile: path("index.txt"), atomically: true, encoding: .utf8)
        try """
        [ca]
        default_ca = test
        [test]
        database = \(path("index.txt"))
        new_certs_dir = \(directory)
        serial = \(path("ca.srl.ca"))
        default_md = sha256
        policy = any
        unique_subject = no
        [any]
        commonName = supplied
        """.write(toFile: path("ca.cnf"), atomically: true, encoding: .utf8)
        try "01\n".write(toFile: path("ca.srl.ca"), atomically: true, encoding: .utf8)
        try openssl([
            "ca", "-batch", "-config", path("ca.cnf"), "-cert", path("ca.crt"), "-keyfile", path("ca.key"),
            "-in", path("\(name).csr"), "-out", path("\(name).crt"), "-extfile", path("\(name).ext"),
            "-startdate", format.string(from: now.addingTimeInterval(-10 * 86400)),
            "-enddate", format.string(from: now.addingTimeInterval(-9 * 86400)), "-notext",
        ])
        return (path("\(name).crt"), path("\(name).key"))
    }

    /// Makes another self-signed CA, `NAME.crt` + `NAME.key`.
    @discardableResult
    public func ca(_ name: String, crlSign: Bool = true) throws -> String {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "30", "-keyout", path("\(name).key"), "-out", path("\(name).crt"), "-subj", "/CN=\(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            crlSign ? "keyUsage=critical,keyCertSign,cRLSign" : "keyUsage=critical,keyCertSign",
        ])
        return path("\(name).crt")
    }

    /// Writes `NAME.crl` (PEM), issued by the CA `ca` (`ca.crt`/`ca.key` by default), revoking the
    /// certificates at `revoking`. `lastUpdate`/`nextUpdate` are offsets from now in seconds.
    @discardableResult
    public func crl(
        _ name: String, ca: String = "ca", revoking: [String] = [], lastUpdate: Int = -3600,
        nextUpdate: Int = 7 * 86400
    ) throws -> String {
        let database = path("\(name).index")
        try "".write(toFile: database, atomically: true, encoding: .utf8)
        try """
        [ca]
        default_ca = test
        [test]
        database = \(database)
        default_md = sha256
        crlnumber = \(path("\(name).crlnumber"))
        """.write(toFile: path("\(name).cnf"), atomically: true, encoding: .utf8)
        try "01\n".write(toFile: path("\(name).crlnumber"), atomically: true, encoding: .utf8)
        let common = ["-config", path("\(name).cnf"), "-cert", path("\(ca).crt"), "-keyfile", path("\(ca).key")]
        for certificate in revoking {
            try openssl(["ca"] + common + ["-revoke", certificate])
        }
        let format = DateFormatter()
        format.dateFormat = "yyyyMMddHHmmss'Z'"
        format.timeZone = TimeZone(identifier: "UTC")
        let now = Date()
        try openssl(
            ["ca", "-gencrl"] + common + [
                "-crl_lastupdate", format.string(from: now.addingTimeInterval(TimeInterval(lastUpdate))),
                "-crl_nextupdate", format.string(from: now.addingTimeInterval(TimeInterval(nextUpdate))),
                "-out", path("\(name).crl"),
            ])
        return path("\(name).crl")
    }

    /// The status an OCSP response made by `ocspResponse` gives.
    public enum OCSPStatus { case good, revoked, unknown }

    /// Writes `NAME.ocsp`, a DER OCSP response made by `openssl ocsp` for the certificate at `certificate`
    /// issued by `issuer` (`ca` by default), signed by `signer` (`NAME.crt`/`NAME.key`), valid for `days`.
    @discardableResult
    public func ocspResponse(
        _ name: String, for certificate: String, status: OCSPStatus = .good, issuer: String = "ca",
        signer: String = "ca", days: Int = 1
    ) throws -> String {
        let serial = try Command.run("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-serial"])
            .outputText.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        let line: String
        switch status {
        case .good: line = "V\t300101000000Z\t\t\(serial)\tunknown\t/CN=x\n"
        case .revoked: line = "R\t300101000000Z\t200101000000Z\t\(serial)\tunknown\t/CN=x\n"
        case .unknown: line = ""
        }
        try line.write(toFile: path("\(name).ocsp-index"), atomically: true, encoding: .utf8)
        try openssl([
            "ocsp", "-index", path("\(name).ocsp-index"), "-CA", path("\(issuer).crt"), "-issuer",
            path("\(issuer).crt"), "-cert", certificate, "-rsigner", path("\(signer).crt"), "-rkey",
            path("\(signer).key"), "-no_nonce", "-ndays", "\(days)", "-respout", path("\(name).ocsp"),
        ])
        return path("\(name).ocsp")
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try Command.run("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw TestPKIError(description: "openssl \(arguments.joined(separator: " ")) failed: \(result.errorText)")
        }
    }
}

public struct TestPKIError: Error, CustomStringConvertible {
    public let description: String
}
