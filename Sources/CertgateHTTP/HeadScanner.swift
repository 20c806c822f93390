/// Finds the end of one HTTP/1.x request head in a byte stream and enforces a strict line discipline on
/// the way, before any parser sees the bytes.
///
/// http-parser (the library that parses the head and frames the body) is lenient where request
/// smuggling lives: it accepts a bare LF as a line end, obsolete line folding, whitespace before the
/// colon and tabs in the request target. This scanner refuses all of them, so what reaches the parser is
/// a head every HTTP/1.1 implementation reads the same way:
/// - every line ends in CR LF; a CR not followed by LF or an LF not preceded by CR is `badLineEnding`;
/// - the request line holds visible ASCII and spaces only;
/// - a field line starts with a token character (a space or tab there is `obsFold`), the name is a
///   token ended by `:` (anything else, including whitespace before the colon, is `badHeader`), and the
///   value holds no control character other than tab;
/// - the head, empty lines before the request line included, is at most `limit` bytes (`headTooLarge`).
///
/// Incremental: `scan` can be fed the head in pieces of any size. Offsets it records (the end of the
/// request line, each field line's start, colon and end) count from the first byte it was fed.
struct HeadScanner {
    enum Result: Equatable {
        /// Every byte given was part of the head; it is not complete yet.
        case needMore
        /// The head ends after the first `count` bytes of this piece (its final LF included).
        case complete(count: Int)
        case rejected(RequestRejection)
    }

    /// One header field line: `start` is its first byte, `colon` the colon, `end` its CR (head offsets).
    struct FieldLine: Equatable {
        var start: Int
        var colon: Int
        var end: Int
    }

    private enum State {
        /// Before the request line: empty lines (CR LF) are skipped.
        case leading
        case leadingCR
        case requestLine
        case requestLineCR
        /// At the start of a field line, or of the empty line that ends the head.
        case lineStart
        case name
        case value
        case fieldCR
        case finalCR
        case done
    }

    let limit: Int
    private var state = State.leading
    /// Bytes scanned so far.
    private(set) var length = 0
    /// Head offset of the request line's first byte and of its CR.
    private(set) var requestLineStart = 0
    private(set) var requestLineEnd = 0
    private(set) var fields: [FieldLine] = []
    private var current = FieldLine(start: 0, colon: 0, end: 0)

    init(limit: Int) {
        self.limit = limit
        fields.reserveCapacity(16)
    }

    /// Ready for the next head; keeps the storage of the field list.
    mutating func reset() {
        state = .leading
        length = 0
        requestLineStart = 0
        requestLineEnd = 0
        fields.removeAll(keepingCapacity: true)
    }

    /// Scans the next piece of the stream.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Result {
        let base = length
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let offset = base + index
            if offset >= limit { return .rejected(.headTooLarge) }
            switch state {
            case .leading:
                if byte == 13 {
                    state = .leadingCR
                } else if byte == 10 {
                    return .rejected(.badLineEnding)
                } else if byte > 32 && byte < 127 {
                    requestLineStart = offset
                    state = .requestLine
                } else {
                    return .rejected(.badRequestLine)
                }
            case .leadingCR:
                guard byte == 10 else { return .rejected(.badLineEnding) }
                state = .leading
            case .requestLine:
                if byte == 13 {
                    requestLineEnd = offset
                    state = .requestLineCR
                } else if byte == 10 {
                    return .rejected(.badLineEnding)
                } else if byte < 32 || byte >= 127 {
                    return .rejected(.badRequestLine)
                }
            case .requestLineCR, .fieldCR:
                guard byte == 10 else { return .rejected(.badLineEnding) }
                state = .lineStart
            case .lineStart:
                if byte == 13 {
                    state = .finalCR
                } else if byte == 32 || byte == 9 {
                    return .rejected(fields.isEmpty ? .badHeader : .obsFold)
                } else if byte == 10 {
                    return .rejected(.badLineEnding)
                } else if HTTPToken.isTokenByte(byte) {
                    current = FieldLine(start: offset, colon: 0, end: 0)
                    state = .name
                } else {
                    return .rejected(.badHeader)
                }
            case .name:
                if byte == 58 {
                    current.colon = offset
                    state = .value
                } else if !HTTPToken.isTokenByte(byte) {
                    return .rejected(byte == 13 || byte == 10 ? .badLineEnding : .badHeader)
                }
            case .value:
                if byte == 13 {
                    current.end = offset
                    fields.append(current)
                    state = .fieldCR
                } else if byte == 10 {
                    return .rejected(.badLineEnding)
                } else if (byte < 32 && byte != 9) || byte == 127 {
                    return .rejected(.badHeader)
                }
            case .finalCR:
                guard byte == 10 else { return .rejected(.badLineEnding) }
                state = .done
                length = offset + 1
                return .complete(count: index + 1)
            case .done:
                preconditionFailure("HeadScanner fed after the head was complete")
            }
        }
        length = base + bytes.count
        return .needMore
    }
}

/// RFC 9110 token characters (field names, methods).
enum HTTPToken {
    private static let table: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        table[Int(byte)]
    }
}
