/// Collects the fields of one request's header block, one at a time as HPACK decodes them, and checks
/// each against the rules that keep an HTTP/2 request from turning into something else on the HTTP/1.1
/// side (RFC 9113 §8.2 and §8.3):
/// - pseudo-header fields: only `:method`, `:scheme`, `:path`, `:authority`, each at most once, all
///   before the regular fields; `:method`, `:scheme` and `:path` present (no CONNECT: certgate does not
///   tunnel over HTTP/2);
/// - no connection-specific field (`connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`,
///   `upgrade`), `te` only as `trailers`;
/// - no CR, LF or NUL in any value, nothing but visible ASCII in the method, path and authority (they
///   become the request line and `Host`), names lower case tokens;
/// - `content-length` digits only, every copy equal;
/// - the whole list (names + values + 32 bytes each, as SETTINGS_MAX_HEADER_LIST_SIZE counts) within
///   `limit`: past it nothing more is stored (an HPACK bomb expands here).
/// The first violation sticks; the stream is refused once the block is complete.
public struct HTTP2RequestBuilder {
    public private(set) var error: HTTP2RequestError?
    /// Bytes counted so far, as SETTINGS_MAX_HEADER_LIST_SIZE counts them.
    public private(set) var size = 0
    private let limit: Int
    /// Every field stored so far, in one flat block; the indices below point into it (-1: not seen).
    private var block = HTTP2FieldBlock(bytesCapacity: 512, fieldsCapacity: 16)
    private var method = -1
    private var scheme = -1
    private var path = -1
    private var authority = -1
    private var host = -1
    private var firstRegular: Int?
    private var contentLength: Int?

    public init(limit: Int) {
        self.limit = limit
    }

    /// Whether `name` is a connection-specific field (RFC 9113 §8.2.2): refused in a request, dropped from
    /// a response. `anyCase`: `name` may hold upper-case letters (an HTTP/1.1 name not lower-cased yet).
    static func isConnectionSpecific(_ name: UnsafeRawBufferPointer, anyCase: Bool = false) -> Bool {
        guard mayBeConnectionSpecific(length: name.count) else { return false }
        func matches(_ literal: StaticString) -> Bool {
            anyCase ? name.equalsLowercased(literal) : name.equals(literal)
        }
        switch name.count {
        case 7: return matches("upgrade")
        case 10: return matches("connection") || matches("keep-alive")
        case 16: return matches("proxy-connection")
        case 17: return matches("transfer-encoding")
        default: return false
        }
    }

    /// Whether a name this long could be connection-specific (a check before the name is looked at).
    @inline(__always)
    static func mayBeConnectionSpecific(length: Int) -> Bool {
        length == 7 || length == 10 || length == 16 || length == 17
    }

    /// RFC 9110 token characters as a bit set: bytes 0-63 in `tokenLow`, 64-127 in `tokenHigh` (digits,
    /// letters and !#$%&'*+-.^_`|~; nothing from 128 up).
    static var tokenLow: UInt64 { 0x03ff_6cfa_0000_0000 }
    static var tokenHigh: UInt64 { 0x57ff_ffff_c7ff_fffe }
    /// The same without the upper-case letters (a field name in HTTP/2).
    static var nameHigh: UInt64 { 0x57ff_ffff_c000_0000 }

    /// Ready for the next request head, keeping the storage of the block (unless a refusal let it go).
    public mutating func reset() {
        error = nil
        size = 0
        block.removeAll()
        method = -1
        scheme = -1
        path = -1
        authority = -1
        host = -1
        firstRegular = nil
        contentLength = nil
    }

    /// `add`, returning whether this field took the list past the limit (the HPACK bomb defence fired).
    mutating func addReportingOverflow(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        let wasRefused = error != nil
        add(name: name, value: value)
        return !wasRefused && error == .headerListTooLarge
    }

    /// Adds one decoded field; false once the request is refused (the rest of the block is only counted).
    @discardableResult
    public mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        size += name.count + value.count + 32
        guard error == nil else { return false }
        guard size <= limit else { return refuse(.headerListTooLarge) }
        guard !value.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else { return refuse(.badCharacter) }
        guard let first = name.first else { return refuse(.badCharacter) }
        if first == UInt8(ascii: ":") {
            return addPseudo(name, value)
        }
        guard name.allSatisfy(Self.isNameByte) else { return refuse(.badCharacter) }
        if firstRegular == nil { firstRegular = block.count }
        if Self.isConnectionSpecific(name) {
            return refuse(.connectionSpecificField)
        }
        if name.equals("te") {
            guard value.equalsLowercased("trailers") else { return refuse(.badTE) }
        } else if name.equals("content-length") {
            guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return refuse(.badContentLength)
            }
            let length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard contentLength == nil || contentLength == length else { return refuse(.badContentLength) }
            contentLength = length
        } else if name.equals("host") {
            guard host == -1, Self.isVisible(value) else { return refuse(.badCharacter) }
            host = block.count
        }
        block.append(name: name, value: value)
        return true
    }

    /// The request, once the block is complete; `endsStream`: the HEADERS frame carried END_STREAM.
    public func finish(endsStream: Bool) -> Result<HTTP2Request, HTTP2RequestError> {
        if let error { return .failure(error) }
        let authority = authority >= 0 ? authority : host
        guard method >= 0, scheme >= 0, path >= 0, authority >= 0, block.withValue(authority, { !$0.isEmpty }) else {
            return .failure(.missingPseudoHeader)
        }
        if let contentLength, endsStream, contentLength != 0 { return .failure(.contentLengthMismatch) }
        return .success(
            HTTP2Request(
                block: block, method: method, scheme: scheme, path: path, authority: authority, host: host,
                firstRegular: firstRegular ?? block.count, endsStream: endsStream, contentLength: contentLength))
    }

    private mutating func addPseudo(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool {
        guard firstRegular == nil, !value.isEmpty, Self.isVisible(value) else { return refuse(.badPseudoHeader) }
        let index = block.count
        if name.equals(":method") {
            guard method == -1 else { return refuse(.badPseudoHeader) }
            guard value.allSatisfy(Self.isTokenByte) else { return refuse(.badCharacter) }
            guard !value.equals("CONNECT") else { return refuse(.unsupportedMethod) }
            method = index
        } else if name.equals(":scheme") {
            guard scheme == -1, value.equals("https") || value.equals("http") else {
                return refuse(.badPseudoHeader)
            }
            scheme = index
        } else if name.equals(":path") {
            guard path == -1, value.first == UInt8(ascii: "/") || (value.count == 1 && value[0] == UInt8(ascii: "*"))
            else {
                return refuse(.badPseudoHeader)
            }
            path = index
        } else if name.equals(":authority") {
            guard authority == -1 else { return refuse(.badPseudoHeader) }
            authority = index
        } else {
            return refuse(.badPseudoHeader)
        }
        block.append(name: name, value: value)
        return true
    }

    private mutating func refuse(_ reason: HTTP2RequestError) -> Bool {
        error = reason
        block = HTTP2FieldBlock()
        return false
    }

    static func isVisible(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { $0 > 32 && $0 < 127 }
    }

    static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte | 0x20 : byte
    }

    /// RFC 9110 token characters.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte < 64 ? tokenLow >> byte & 1 != 0 : byte < 128 && tokenHigh >> (byte - 64) & 1 != 0
    }

    /// A token character that is not an upper-case letter.
    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        byte < 64 ? tokenLow >> byte & 1 != 0 : byte < 128 && nameHigh >> (byte - 64) & 1 != 0
    }
}
