/// Escaping rules that keep every record on exactly one line, whatever the message or metadata holds.
///
/// A newline inside a log message must never start a new stderr line: collectors would split the record
/// and an attacker-controlled value (a client's SNI, a header) could forge a whole log entry.
enum LogEscaping {
    /// A JSON string literal, quotes included. Control characters, `"` and `\` are escaped; everything
    /// else, including non-ASCII text, is emitted as UTF-8 unchanged. DEL and the JavaScript line
    /// separators are escaped too, as some viewers treat them as line breaks.
    static func jsonString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if needsUnicodeEscape(scalar) {
                    appendUnicodeEscape(scalar, into: &output)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

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
        let isBare = !text.isEmpty && !text.unicodeScalars.contains { scalar in
            scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
                || needsUnicodeEscape(scalar)
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

    /// A text-format metadata key: keys are chosen by developers, so anything that would break the
    /// `key=value` shape is simply replaced by `_`.
    static func textKey(_ key: String, into output: inout String) {
        if key.isEmpty {
            output += "_"
            return
        }
        for scalar in key.unicodeScalars {
            let breaksShape = scalar == "=" || scalar == "\"" || scalar.properties.isWhitespace
                || needsUnicodeEscape(scalar)
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
            if needsUnicodeEscape(scalar) {
                appendUnicodeEscape(scalar, into: &output)
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
    }

    private static func needsUnicodeEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    private static func appendUnicodeEscape(_ scalar: Unicode.Scalar, into output: inout String) {
        output += "\\u"
        let value = scalar.value
        for shift in stride(from: 12, through: 0, by: -4) {
            output.unicodeScalars.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
