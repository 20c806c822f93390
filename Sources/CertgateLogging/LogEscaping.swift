/// Escaping rules that keep every record on exactly one line, whatever the message or metadata holds.
///
/// A newline inside a log message must never start a new stderr line: collectors would split the record
/// and an attacker-controlled value (a client's SNI, a header) could forge a whole log entry. The JSON
/// format uses `JSONText`; the text format below escapes the same characters.
enum LogEscaping {
    /// A text-format message: control characters become `\n`, `\t`, `\u001b`... but nothing is quoted,
    /// so ordinary messages read naturally.
    static func textMessage(_ text: String, into output: inout String) {
        for scalar in text.unicodeScalars {
            appendTextScalar(scalar, quoting: false, into: &output)
        }
    }

    /// A text-format metadata value: bare when it is a simple token, otherwise in double quotes with
    /// `"` and `\` escaped, so `key=value` pairs can be split unambiguously.
    static func textValue(_ text: String, into output: inout String) {
        let isBare =
            !text.isEmpty
            && !text.unicodeScalars.contains { scalar in
                scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
                    || JSONText.needsUnicodeEscape(scalar)
            }
        if isBare {
            output += text
            return
        }
        output += "\""
        for scalar in text.unicodeScalars {
            appendTextScalar(scalar, quoting: true, into: &output)
        }
        output += "\""
    }

    /// `textValue(_:into:)` appending UTF-8 bytes (the access log): bare when every byte is visible
    /// ASCII other than `"`, `=` and `\`, else quoted with the same escapes. Non-ASCII text is always
    /// quoted (quoting is never wrong; it saves telling non-ASCII whitespace apart byte by byte).
    static func textValue(_ text: String, into output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            let isBare =
                !bytes.isEmpty
                && !bytes.contains { byte in
                    byte <= 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x3D || byte == 0x5C
                }
            if isBare {
                output.append(contentsOf: bytes)
                return
            }
            output.append(0x22)
            var plain = 0
            while plain < bytes.count {
                // Runs of bytes that need no escape are copied in one piece.
                var end = plain
                while end < bytes.count && !JSONText.needsEscapeByte(bytes[end]) { end += 1 }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<end]))
                guard end < bytes.count else { break }
                var next = end + 1
                switch bytes[end] {
                case 0x0A: JSONText.appendASCII("\\n", to: &output)
                case 0x0D: JSONText.appendASCII("\\r", to: &output)
                case 0x09: JSONText.appendASCII("\\t", to: &output)
                case 0x22: JSONText.appendASCII("\\\"", to: &output)
                case 0x5C: JSONText.appendASCII("\\\\", to: &output)
                case 0xE2
                where end + 2 < bytes.count && bytes[end + 1] == 0x80
                    && (bytes[end + 2] == 0xA8 || bytes[end + 2] == 0xA9):
                    JSONText.appendASCII(bytes[end + 2] == 0xA8 ? "\\u2028" : "\\u2029", to: &output)
                    next = end + 3
                case 0xE2:
                    output.append(0xE2)
                default:
                    // Other C0 controls and DEL.
                    var escape = ""
                    JSONText.appendUnicodeEscape(Unicode.Scalar(bytes[end]), to: &escape)
                    output.append(contentsOf: escape.utf8)
                }
                plain = next
            }
            output.append(0x22)
        }
    }

    /// A text-format metadata key: keys are chosen by developers, so anything that would break the
    /// `key=value` shape is simply replaced by `_`.
    static func textKey(_ key: String, into output: inout String) {
        if key.isEmpty {
            output += "_"
            return
        }
        for scalar in key.unicodeScalars {
            let breaksShape =
                scalar == "=" || scalar == "\"" || scalar.properties.isWhitespace
                || JSONText.needsUnicodeEscape(scalar)
            output.unicodeScalars.append(breaksShape ? "_" : scalar)
        }
    }

    private static func appendTextScalar(_ scalar: Unicode.Scalar, quoting: Bool, into output: inout String) {
        switch scalar {
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        case "\t": output += "\\t"
        case "\"" where quoting: output += "\\\""
        case "\\" where quoting: output += "\\\\"
        default:
            if JSONText.needsUnicodeEscape(scalar) {
                JSONText.appendUnicodeEscape(scalar, to: &output)
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
    }
}
