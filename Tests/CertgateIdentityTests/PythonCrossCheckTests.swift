import CertgateTestSupport
import Foundation
import Testing

@testable import CertgateIdentity

/// Cross-checks the encoder against ``script``, a decoder written separately in Python
/// (its `ipaddress` module parses the v1 text and checks the RFC 5952 form). Skipped without python3.
@Suite("PROXY protocol: Python cross-check")
struct PythonCrossCheckTests {
    static let python = "/usr/bin/python3"
    /// Kept here rather than as a .py file so SwiftPM has no unhandled file in the test target.
    static let script = #"""
        #!/usr/bin/env python3
        """Independent PROXY protocol decoder (HAProxy spec, v1 and v2) used to cross-check the Swift encoder.

        Reads one hex-encoded header per line on stdin; prints one canonical line per header:
          v1 TCP4|TCP6 <src-hex> <dst-hex> <sport> <dport>      (addresses parsed with the ipaddress module)
          v1 UNKNOWN
          v2 <fam> <src-hex> <dst-hex> <sport> <dport> alpn=<hex|-> authority=<hex|-> ssl=<client>,<verify>,<ver|->,<cn|->,<cipher|->
        Exits non-zero with a message on anything malformed.
        """
        import ipaddress
        import re
        import struct
        import sys

        SIG = b"\r\n\r\n\x00\r\nQUIT\n"


        def fail(msg):
            sys.exit("malformed: " + msg)


        def tlvs(area):
            out, i = [], 0
            while i < len(area):
                if i + 3 > len(area):
                    fail("truncated TLV header")
                t, n = area[i], struct.unpack(">H", area[i + 1:i + 3])[0]
                if i + 3 + n > len(area):
                    fail("TLV overruns")
                out.append((t, area[i + 3:i + 3 + n]))
                i += 3 + n
            return out


        def v1(data):
            if len(data) > 107 or not data.endswith(b"\r\n"):
                fail("v1 length or terminator")
            line = data[:-2].decode("ascii")
            if line == "PROXY UNKNOWN":
                return "v1 UNKNOWN"
            m = re.fullmatch(r"PROXY (TCP4|TCP6) (\S+) (\S+) (0|[1-9][0-9]{0,4}) (0|[1-9][0-9]{0,4})", line)
            if not m:
                fail("v1 syntax: " + line)
            cls = ipaddress.IPv4Address if m[1] == "TCP4" else ipaddress.IPv6Address
            src, dst = cls(m[2]), cls(m[3])
            for text, addr in ((m[2], src), (m[3], dst)):
                # RFC 5952 canonical form (Python writes IPv4-mapped as hex groups, so only check the rest).
                if m[1] == "TCP6" and addr.ipv4_mapped is None and text != addr.compressed:
                    fail("not RFC 5952: %s (expected %s)" % (text, addr.compressed))
            sp, dp = int(m[4]), int(m[5])
            if sp > 65535 or dp > 65535:
                fail("port range")
            return "v1 %s %s %s %d %d" % (m[1], src.packed.hex(), dst.packed.hex(), sp, dp)


        def v2(data):
            if data[12] != 0x21:
                fail("version/command")
            fam = data[13]
            (length,) = struct.unpack(">H", data[14:16])
            if len(data) != 16 + length:
                fail("length field")
            alen = {0x11: 12, 0x21: 36}.get(fam) or fail("family")
            half = (alen - 4) // 2
            body = data[16:]
            src, dst = body[:half], body[half:2 * half]
            sp, dp = struct.unpack(">HH", body[2 * half:alen])
            fields = {"alpn": "-", "authority": "-", "ssl": "-"}
            for t, v in tlvs(body[alen:]):
                if t == 0x01:
                    fields["alpn"] = v.hex()
                elif t == 0x02:
                    v.decode("utf-8")
                    fields["authority"] = v.hex()
                elif t == 0x20:
                    if len(v) < 5:
                        fail("ssl short")
                    client, verify = v[0], struct.unpack(">I", v[1:5])[0]
                    sub = {0x21: "-", 0x22: "-", 0x23: "-"}
                    for st, sv in tlvs(v[5:]):
                        if st not in sub:
                            fail("ssl subtype")
                        sv.decode("utf-8")
                        sub[st] = sv.hex()
                    fields["ssl"] = "%d,%d,%s,%s,%s" % (client, verify, sub[0x21], sub[0x22], sub[0x23])
                else:
                    fail("TLV type")
            return "v2 %d %s %s %d %d alpn=%s authority=%s ssl=%s" % (
                fam, src.hex(), dst.hex(), sp, dp, fields["alpn"], fields["authority"], fields["ssl"])


        for raw in sys.stdin:
            data = bytes.fromhex(raw.strip())
            print(v2(data) if data[:12] == SIG else v1(data))
        """#

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    func hexOrDash(_ bytes: [UInt8]?) -> String { bytes.map(hex) ?? "-" }

    /// The line the Python decoder should print for `header` encoded as `version`.
    func expectedLine(_ header: ProxyProtocolHeader, _ version: ProxyProtocolVersion) -> String {
        let mixed = header.source.address.isIPv4 != header.destination.address.isIPv4
        if version == .v1 {
            if mixed { return "v1 UNKNOWN" }
            return "v1 \(header.source.address.isIPv4 ? "TCP4" : "TCP6") \(hex(header.source.address.bytes)) "
                + "\(hex(header.destination.address.bytes)) \(header.source.port) \(header.destination.port)"
        }
        let e = expectedAfterV2(header)
        let ssl =
            e.ssl.map { s in
                "\(s.client.rawValue),\(s.verify),\(hexOrDash(s.version.map { Array($0.utf8) })),"
                    + "\(hexOrDash(s.commonName.map { Array($0.utf8) })),\(hexOrDash(s.cipher.map { Array($0.utf8) }))"
            } ?? "-"
        return "v2 \(e.source.address.isIPv4 ? 0x11 : 0x21) \(hex(e.source.address.bytes)) "
            + "\(hex(e.destination.address.bytes)) \(e.source.port) \(e.destination.port) "
            + "alpn=\(hexOrDash(e.alpn)) authority=\(hexOrDash(e.authority.map { Array($0.utf8) })) ssl=\(ssl)"
    }

    @Test(
        "2000 random headers, v1 and v2, decode in Python as expected",
        .enabled(if: FileManager.default.isExecutableFile(atPath: python)))
    func crossCheck() throws {
        var random = SeededGenerator(state: 0x5EED)
        var input = ""
        var expected: [String] = []
        for _ in 0..<1000 {
            let header = random.header()
            for version in [ProxyProtocolVersion.v1, .v2] {
                input += hex(header.encode(version)) + "\n"
                expected.append(expectedLine(header, version))
            }
        }
        // Input through a file, not a pipe: a decoder that stops early must not SIGPIPE the test process.
        let inputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-pp-\(ProcessInfo.processInfo.processIdentifier).hex")
        try Data(input.utf8).write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }
        let result = try Command.run(Self.python, ["-c", Self.script], inputFile: inputFile.path)
        #expect(result.status == 0, "\(result.errorText)")
        let lines = result.outputText.split(separator: "\n").map(String.init)
        #expect(lines.count == expected.count)
        for (line, want) in zip(lines, expected) where line != want {
            Issue.record("python: \(line)\nswift:  \(want)")
            break
        }
    }
}
