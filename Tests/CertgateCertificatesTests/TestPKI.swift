import Foundation

/// Test certificates made with the `openssl` command line in a fresh temporary directory.
final class TestPKI {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "certgate-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-days", "30", "-keyout", path("ca.key"), "-out", path("ca.crt"), "-subj", "/CN=Test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE"])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Issues `NAME.crt` + `NAME.key` signed by the test CA. `san` like "DNS:a.example.com,DNS:b"; nil for none.
    @discardableResult
    func leaf(_ name: String, cn: String? = nil, san: String?, rsa: Bool = false, days: Int = 20) throws -> (crt: String, key: String) {
        let keyOptions = rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        try openssl(["req", "-new"] + keyOptions + ["-nodes", "-keyout", path("\(name).key"), "-out",
                     path("\(name).csr"), "-subj", "/CN=\(cn ?? name)"])
        var extensions = "basicConstraints=CA:FALSE\n"
        if let san { extensions += "subjectAltName=\(san)\n" }
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-days", "\(days)", "-extfile", path("\(name).ext"), "-out", path("\(name).crt")])
        return (path("\(name).crt"), path("\(name).key"))
    }

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    func mkdir(_ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
        return path(name)
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestPKIError(description: "openssl \(arguments.joined(separator: " ")) failed")
        }
    }
}

struct TestPKIError: Error, CustomStringConvertible {
    let description: String
}
