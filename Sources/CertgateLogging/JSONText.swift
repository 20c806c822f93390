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

    /// Appends `text` as a JSON string literal to UTF-8 bytes, quotes included: the same rules as
    /// `appendQuoted(_:to:)` on a `String`, without going through its scalars (the access log renders
    /// into bytes). Text with nothing to escape, the usual case, is copied in one piece.
    public static func appendQuoted(_ text: String, to output: inout [UInt8]) {
        output.append(0x22)
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: needsEscapeByte) else {
                output.append(contentsOf: bytes)
                return
            }
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x22: appendASCII("\\\"", to: &output)
                case 0x5C: appendASCII("\\\\", to: &output)
                case 0x0A: appendASCII("\\n", to: &output)
                case 0x0D: appendASCII("\\r", to: &output)
                case 0x09: appendASCII("\\t", to: &output)
                case 0x08: appendASCII("\\b", to: &output)
                case 0x0C: appendASCII("\\f", to: &output)
                case 0xE2
                where index + 2 < bytes.count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    appendASCII(bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029", to: &output)
                    index += 2
                case 0..<0x20, 0x7F:
                    appendASCII("\\u00", to: &output)
                    output.append(hexDigitBytes[Int(byte >> 4)])
                    output.append(hexDigitBytes[Int(byte & 0xF)])
                default:
                    output.append(byte)
                }
                index += 1
            }
        }
        output.append(0x22)
    }

    /// A UTF-8 byte that may need an escape: `"`, `\`, C0 controls, DEL, and 0xE2 (the lead byte of
    /// U+2028 and U+2029, checked in full when found).
    static func needsEscapeByte(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2
    }

    static func appendASCII(_ text: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let hexDigitBytes = Array("0123456789abcdef".utf8)

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
