import Foundation
import Logging
import Testing

@testable import CertgateLogging

private let fixedTime = LogTimestamp(secondsSinceEpoch: 1_795_426_867, milliseconds: 123)

/// Parses one JSON line into a dictionary, failing the test if it is not a single JSON object line.
func parseJSONLine(_ line: String) throws -> [String: Any] {
    #expect(line.hasSuffix("\n"))
    #expect(line.dropLast().contains("\n") == false)
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any])
}

@Suite("Line formats")
struct LogLineFormatterTests {
    let text = LogLineFormatter(format: .text)
    let json = LogLineFormatter(format: .json)

    @Test("text: timestamp, level, label, message, then sorted key=value pairs")
    func textShape() {
        let line = text.line(
            timestamp: fixedTime,
            level: .info,
            label: "certgate",
            message: "message",
            metadata: ["key2": "quoted value", "key": "value"]
        )
        #expect(line == "2026-11-23T09:41:07.123Z info certgate: message key=value key2=\"quoted value\"\n")
    }

    @Test(
        "text: values are quoted only when needed, and escaped inside quotes",
        arguments: [
            ("plain", "plain"),
            ("", "\"\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("two\nlines", "\"two\\nlines\""),
            ("bell\u{7}", "\"bell\\u0007\""),
            ("héllo✓", "héllo✓"),
            ("10.0.0.1:443", "10.0.0.1:443"),
        ]
    )
    func textValues(value: String, rendered: String) {
        let line = text.line(
            timestamp: fixedTime, level: .debug, label: "l", message: "m", metadata: ["k": .string(value)]
        )
        #expect(line == "2026-11-23T09:41:07.123Z debug l: m k=\(rendered)\n")
    }

    @Test("text: a message can never break the line")
    func textMessageEscaping() {
        let line = text.line(
            timestamp: fixedTime,
            level: .error,
            label: "certgate",
            message: "first\nsecond\r\tthird \u{1B}[31m",
            metadata: ["bad key=\"x\"": "v"]
        )
        #expect(
            line == "2026-11-23T09:41:07.123Z error certgate: first\\nsecond\\r\\tthird \\u001b[31m bad_key__x_=v\n"
        )
    }

    @Test("json: stable leading keys, metadata as strings, parses with JSONSerialization")
    func jsonShape() throws {
        let line = json.line(
            timestamp: fixedTime,
            level: .warning,
            label: "certgate.proxy",
            message: "upstream slow",
            metadata: ["peer": "10.0.0.1:5000", "ms": .stringConvertible(250), "tags": ["a", "b"]]
        )
        #expect(line.hasPrefix("{\"ts\":\"2026-11-23T09:41:07.123Z\",\"level\":\"warning\",\"msg\":\"upstream slow\","))
        let object = try parseJSONLine(line)
        #expect(object["ts"] as? String == "2026-11-23T09:41:07.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["msg"] as? String == "upstream slow")
        #expect(object["logger"] as? String == "certgate.proxy")
        #expect(object["peer"] as? String == "10.0.0.1:5000")
        #expect(object["ms"] as? String == "250")
        #expect(object["tags"] as? String == "[\"a\", \"b\"]")
        #expect(object.count == 7)
    }

    @Test(
        "json: escaping survives a round trip through JSONSerialization",
        arguments: [
            "quote \" and backslash \\",
            "newline\n, return\r, tab\t, backspace\u{8}, formfeed\u{C}",
            "controls \u{0}\u{1}\u{1F}\u{7F}",
            "line separators \u{2028}\u{2029}",
            "non-ASCII: héllo, 日本語, 🔒",
            "</script> and \\u0041 literally",
        ]
    )
    func jsonEscaping(message: String) throws {
        let line = json.line(
            timestamp: fixedTime, level: .info, label: "certgate", message: message, metadata: ["v": .string(message)]
        )
        let object = try parseJSONLine(line)
        #expect(object["msg"] as? String == message)
        #expect(object["v"] as? String == message)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test("json: non-ASCII text is written as UTF-8, not as \\u escapes")
    func jsonKeepsUTF8() {
        let line = json.line(
            timestamp: fixedTime, level: .info, label: "certgate", message: "héllo 🔒", metadata: [:]
        )
        #expect(line.contains("\"msg\":\"héllo 🔒\""))
    }

    @Test("json: exact escapes for the characters JSON requires")
    func jsonExactEscapes() {
        let line = json.line(timestamp: fixedTime, level: .info, label: "c", message: "\"\\\n\u{1}", metadata: [:])
        let expected = #"{"ts":"2026-11-23T09:41:07.123Z","level":"info","msg":"\"\\\n\u0001","logger":"c"}"# + "\n"
        #expect(line == expected)
    }

    @Test("json: metadata cannot overwrite the record's own keys")
    func jsonReservedKeys() throws {
        let line = json.line(
            timestamp: fixedTime, level: .info, label: "certgate", message: "real",
            metadata: ["msg": "fake", "ts": "0"]
        )
        let object = try parseJSONLine(line)
        #expect(object["msg"] as? String == "real")
        #expect(object["meta.msg"] as? String == "fake")
        #expect(object["ts"] as? String == "2026-11-23T09:41:07.123Z")
        #expect(object["meta.ts"] as? String == "0")
    }
}
