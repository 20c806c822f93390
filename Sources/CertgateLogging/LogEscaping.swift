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
