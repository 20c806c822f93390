import Foundation
import Testing

@testable import CertgateLogging

@Suite("Access log lines")
struct AccessLogLineTests {
    /// 2026-12-05T12:00:00.123Z
    static let time = LogTimestamp(secondsSinceEpoch: 1_796_472_000, milliseconds: 123)

    /// A connection with every field set.
    static var full: AccessLogRecord {
        var record = AccessLogRecord(
            time: time, connection: 281_474_976_710_657, bytesFromClient: 78, bytesToClient: 1290, duration: 0.004_21)
        record.clientAddress = "192.0.2.7"
        record.clientPort = 51234
        record.serverName = "app.example"
        record.certificate = "app"
        record.tlsVersion = "TLSv1.3"
        record.cipher = "TLS_AES_128_GCM_SHA256"
        record.resumed = true
        record.alpn = "http/1.1"
        record.clientSubject = "CN=alice,O=Example Corp"
        record.upstreamConnect = 0.000_31
        record.closeReason = "error"
        record.closeDetail = "upstream_read_failed"
        return record
    }

    func render(_ record: AccessLogRecord, _ format: LogOutputFormat) -> String {
        var line = AccessLogLine(format: format)
        return line.render(record)
    }

    func json(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("text: every field of a connection, in order, as logfmt")
    func textEveryField() {
        #expect(
            render(Self.full, .text)
                == "ts=2026-12-05T12:00:00.123Z conn=281474976710657 client=192.0.2.7 client_port=51234 "
                + "sni=app.example cert=app tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 resumed=true alpn=http/1.1 "
                + "client_subject=\"CN=alice,O=Example Corp\" bytes_in=78 bytes_out=1290 duration_ms=4.210 "
                + "connect_ms=0.310 close=error close_detail=upstream_read_failed\n")
    }

    @Test("text: absent values are left out")
    func textAbsent() {
        let record = AccessLogRecord(time: Self.time, connection: 1, bytesFromClient: 0, bytesToClient: 0, duration: 2)
        #expect(
            render(record, .text)
                == "ts=2026-12-05T12:00:00.123Z conn=1 bytes_in=0 bytes_out=0 duration_ms=2000.000\n")
    }

    @Test("json: every key, values typed, one object on one line")
    func jsonEveryField() throws {
        let line = render(Self.full, .json)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try json(line)
        #expect(object["ts"] as? String == "2026-12-05T12:00:00.123Z")
        #expect(object["conn"] as? Int == 281_474_976_710_657)
        #expect(object["client"] as? String == "192.0.2.7")
        #expect(object["client_port"] as? Int == 51234)
        #expect(object["sni"] as? String == "app.example")
        #expect(object["cert"] as? String == "app")
        #expect(object["tls"] as? String == "TLSv1.3")
        #expect(object["cipher"] as? String == "TLS_AES_128_GCM_SHA256")
        #expect(object["resumed"] as? Bool == true)
        #expect(object["alpn"] as? String == "http/1.1")
        #expect(object["client_subject"] as? String == "CN=alice,O=Example Corp")
        #expect(object["bytes_in"] as? Int == 78)
        #expect(object["bytes_out"] as? Int == 1290)
        #expect(object["duration_ms"] as? Double == 4.21)
        #expect(object["connect_ms"] as? Double == 0.31)
        #expect(object["close"] as? String == "error")
        #expect(object["close_detail"] as? String == "upstream_read_failed")
        #expect(object["request"] == nil)
    }

    @Test("json: absent values are null, the keys stay")
    func jsonNulls() throws {
        let record = AccessLogRecord(time: Self.time, connection: 1)
        let object = try json(render(record, .json))
        for key in [
            "client", "client_port", "sni", "cert", "tls", "cipher", "resumed", "alpn", "client_subject", "bytes_in",
            "bytes_out", "duration_ms", "connect_ms", "close", "close_detail",
        ] {
            #expect(object[key] is NSNull, "\(key)")
        }
    }

    @Test("a request line: method, path, status, head bytes, in both formats")
    func requestFields() throws {
        var record = AccessLogRecord(time: Self.time, connection: 9, duration: 0.0125)
        record.request = .init(number: 2, method: "GET", path: "/a b", status: 404, headBytes: 120)
        #expect(
            render(record, .text)
                == "ts=2026-12-05T12:00:00.123Z conn=9 request=2 method=GET path=\"/a b\" status=404 "
                + "request_head_bytes=120 duration_ms=12.500\n")
        let object = try json(render(record, .json))
        #expect(object["request"] as? Int == 2)
        #expect(object["method"] as? String == "GET")
        #expect(object["path"] as? String == "/a b")
        #expect(object["status"] as? Int == 404)
        #expect(object["request_head_bytes"] as? Int == 120)
    }

    @Test(
        "client-chosen values cannot break the line or the key=value shape",
        arguments: ["a\nts=forged", "x\" y=\"z", "back\\slash", "\u{1B}[31mred", "line\u{2028}sep", "tab\there"])
    func hostileValues(value: String) throws {
        var record = AccessLogRecord(time: Self.time, connection: 1)
        record.serverName = value
        record.request = .init(number: 1, method: value, path: value, status: nil, headBytes: nil)
        let text = render(record, .text)
        #expect(text.filter { $0 == "\n" || $0 == "\r" || $0 == "\u{2028}" }.count == 1)
        #expect(!text.contains("\u{1B}"))
        // Each field splits off at an unquoted space into key=value (the shell's rules, as logfmt readers).
        #expect(Self.logfmtFields(text).allSatisfy { $0.contains("=") })
        #expect(Self.logfmtFields(text).contains("sni=\(value)"))
        let object = try json(render(record, .json))
        #expect(object["sni"] as? String == value)
        #expect(object["path"] as? String == value)
    }

    @Test("a very long value is cut, with a mark")
    func longValue() throws {
        var record = AccessLogRecord(time: Self.time, connection: 1)
        record.request = .init(
            number: 1, method: "GET", path: "/" + String(repeating: "é", count: 5000), status: 200, headBytes: 5100)
        let object = try json(render(record, .json))
        let path = try #require(object["path"] as? String)
        #expect(path.unicodeScalars.count == AccessLogLine.maximumValueLength + 3)
        #expect(path.hasSuffix("..."))
    }

    @Test("milliseconds keep three decimals; a negative time is 0")
    func milliseconds() {
        for (seconds, text) in [
            (0.0, "0.000"), (0.000_001, "0.001"), (0.05, "50.000"), (1.234_567_8, "1234.568"),
            (-1, "0.000"),
        ] {
            var output: [UInt8] = []
            AccessLogLine.appendMilliseconds(seconds, to: &output)
            #expect(String(decoding: output, as: UTF8.self) == text, "\(seconds)")
        }
    }

    @Test(
        "the byte-level JSON escaper writes exactly what the string one does",
        arguments: [
            "", "plain", "quote\" back\\slash", "\n\r\t\u{08}\u{0C}", "\u{0}\u{1}\u{1B}\u{1F}\u{7F}",
            "line\u{2028}para\u{2029}end", "\u{2027}\u{202A}€ é 日本 🎉", "x\u{E2}y",
        ])
    func jsonBytesMatchString(text: String) {
        var bytes: [UInt8] = []
        JSONText.appendQuoted(text, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == JSONText.quote(text))
    }

    @Test("the byte-level text escaper: bare tokens, quoted otherwise, decoded back to the value")
    func textBytes() {
        for (value, expected) in [
            ("token-1.2_x/y:z", "token-1.2_x/y:z"), ("", "\"\""), ("a b", "\"a b\""), ("k=v", "\"k=v\""),
            ("q\"q", "\"q\\\"q\""), ("back\\", "\"back\\\\\""), ("nl\n", "\"nl\\n\""),
            ("esc\u{1B}", "\"esc\\u001b\""), ("del\u{7F}", "\"del\\u007f\""), ("ls\u{2028}", "\"ls\\u2028\""),
            ("é", "\"é\""), ("€uro", "\"€uro\""),
        ] {
            var bytes: [UInt8] = []
            LogEscaping.textValue(value, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == expected, "\(value.debugDescription)")
        }
    }

    @Test("the byte-level timestamp is rfc3339")
    func timestampBytes() {
        for seconds: Int64 in [0, 1, 59, 86_399, 951_782_400, 1_796_472_000, 4_102_444_799, 253_402_300_799] {
            for milliseconds in [0, 7, 999] {
                let time = LogTimestamp(secondsSinceEpoch: seconds, milliseconds: milliseconds)
                var bytes: [UInt8] = []
                time.appendRFC3339(to: &bytes)
                #expect(String(decoding: bytes, as: UTF8.self) == time.rfc3339, "\(seconds)")
            }
        }
    }

    /// Splits a logfmt line the way its readers do: spaces separate fields except inside double quotes,
    /// where `\` escapes the next character (`\uXXXX` a scalar). Returns the fields with the quoting undone.
    static func logfmtFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var hex: String?
        for character in line.dropLast() {
            if let digits = hex {
                hex = digits + String(character)
                if hex!.count == 4 {
                    current.unicodeScalars.append(Unicode.Scalar(UInt32(hex!, radix: 16)!)!)
                    hex = nil
                }
            } else if escaped {
                switch character {
                case "n": current.append("\n")
                case "t": current.append("\t")
                case "u": hex = ""
                default: current.append(character)
                }
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
