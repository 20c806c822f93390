/// Parses a ticket key file: one base64 key per line (standard alphabet, padded), each decoding to the
/// 80 bytes of a `TicketKey`. The first line encrypts new tickets; every line decrypts. Blank lines and
/// trailing whitespace (a CRLF line end included) are ignored; anything else that is not a key is an error
/// naming the file and the line. Errors never contain key material.
public enum TicketKeyFile {
    public static func parse(_ contents: [UInt8], path: String) throws(TicketKeyFileError) -> TicketKeySet {
        var keys: [TicketKey] = []
        var lineNumber = 0
        for line in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = line[...]
            while let last = text.last, last == UInt8(ascii: "\r") || last == 0x20 || last == 0x09 {
                text = text.dropLast()
            }
            while let first = text.first, first == 0x20 || first == 0x09 { text = text.dropFirst() }
            if text.isEmpty { continue }
            guard let decoded = Base64.decode(text) else {
                throw TicketKeyFileError(path: path, line: lineNumber, problem: "is not valid base64")
            }
            guard let key = TicketKey(bytes: decoded) else {
                throw TicketKeyFileError(
                    path: path, line: lineNumber,
                    problem: "decodes to \(decoded.count) bytes, not \(TicketKey.byteCount) "
                        + "(16-byte name, 32-byte HMAC secret, 32-byte AES key)")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else {
            throw TicketKeyFileError(
                path: path, line: nil, problem: "holds no key (one base64 key of 80 bytes per line)")
        }
        return TicketKeySet(keys)
    }
}

/// Why a ticket key file was refused: the file, the line (when one line is at fault) and what is wrong.
public struct TicketKeyFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int?
    public let problem: String

    public init(path: String, line: Int?, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        "--ticket-keys \(path)" + (line.map { " line \($0)" } ?? "") + ": " + problem
    }
}

/// Strict standard base64 (RFC 4648 §4) with padding.
enum Base64 {
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0, !text.isEmpty else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var quad: [UInt8] = []
        quad.reserveCapacity(4)
        let padding = text.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }
        for (offset, char) in text.enumerated() {
            let value: UInt8
            switch char {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = char - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = char - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = char - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "=") where offset >= text.count - padding: value = 0
            default: return nil
            }
            quad.append(value)
            if quad.count == 4 {
                output.append(quad[0] << 2 | quad[1] >> 4)
                output.append(quad[1] << 4 | quad[2] >> 2)
                output.append(quad[2] << 6 | quad[3])
                quad.removeAll(keepingCapacity: true)
            }
        }
        return Array(output.dropLast(padding))
    }
}
