/// JSON string literals (RFC 8259) for everything certgate writes as JSON: the `--log-format json` lines
/// and the `POST /reload` answer. One set of rules for both, the strict one:
///
/// - `"` and `\` are escaped, as JSON requires;
/// - every C0 control character is escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`), so a value can
///   never start a new line of a log or a response;
/// - DEL (U+007F) and the line and paragraph separators (U+2028, U+2029) are escaped as `\u007f`,
///   `\u2028`, `\u2029`: JSON allows them raw, but some viewers and JavaScript treat them as line breaks
///   or hide them;
/// - everything else, non-ASCII text and `/` included, is written unchanged as UTF-8.
///
/// A Swift `String` holds only valid Unicode scalars (invalid UTF-8 was already replaced by U+FFFD when
/// the string was made), so the output is always valid UTF-8 and valid JSON.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &output)
        return output
    }

    /// Appends `text` as a JSON string literal, quotes included (no intermediate string).
    public static func appendQuoted(_ text: String, to output: inout String) {
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
                    appendUnicodeEscape(scalar, to: &output)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    /// Scalars written as `\uXXXX`: C0 controls, DEL and the JavaScript line separators. The text log
    /// format escapes the same set, so both formats keep a record on one visible line.
    static func needsUnicodeEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    /// `\u` and four lowercase hex digits (every scalar escaped is in the Basic Multilingual Plane).
    static func appendUnicodeEscape(_ scalar: Unicode.Scalar, to output: inout String) {
        output += "\\u"
        let value = scalar.value
        for shift in stride(from: 12, through: 0, by: -4) {
            output.unicodeScalars.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
