import CertgateLogging
import Foundation
import Testing

@Suite("JSON string literals")
struct JSONTextTests {
    @Test(
        "the characters JSON requires escaped, with their short forms",
        arguments: [
            ("\"", #""\"""#),
            ("\\", #""\\""#),
            ("\n", #""\n""#),
            ("\r", #""\r""#),
            ("\t", #""\t""#),
            ("\u{08}", #""\b""#),
            ("\u{0C}", #""\f""#),
        ])
    func shortEscapes(text: String, literal: String) {
        #expect(JSONText.quote(text) == literal)
    }

    @Test(
        "other C0 controls, DEL and the line separators become lowercase \\u escapes",
        arguments: [
            ("\u{0}", #""\u0000""#),
            ("\u{1}", #""\u0001""#),
            ("\u{1B}", #""\u001b""#),
            ("\u{1F}", #""\u001f""#),
            ("\u{7F}", #""\u007f""#),
            ("\u{2028}", #""\u2028""#),
            ("\u{2029}", #""\u2029""#),
        ])
    func unicodeEscapes(text: String, literal: String) {
        #expect(JSONText.quote(text) == literal)
    }

    @Test(
        "everything else is written unchanged: ASCII, slash, non-ASCII, astral scalars",
        arguments: [
            "", "plain text", "a/b </script>", "héllo", "日本語", "🔒", "\u{80}\u{A0}\u{FEFF}\u{FFFD}", "~ 0x20-0x7e",
        ])
    func unchanged(text: String) {
        #expect(JSONText.quote(text) == "\"" + text + "\"")
    }

    @Test func everyScalarOfTheLowRangesRoundTripsThroughAJSONParser() throws {
        var text = ""
        for value in UInt32(0)...0x2FF {
            text.unicodeScalars.append(Unicode.Scalar(value)!)
        }
        text += "\u{2028}\u{2029}🔒" // not U+FEFF: Foundation's parser drops it
        let literal = JSONText.quote(text)
        #expect(!literal.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(!literal.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 })
        let decoded = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed)
        #expect(decoded as? String == text)
    }

    @Test func appendingWritesTheSameLiteralAfterWhatIsThere() {
        var output = "{\"k\":"
        JSONText.appendQuoted("a\nb", to: &output)
        #expect(output == #"{"k":"a\nb""#)
    }
}
