@testable import CertgateIdentity

/// A PROXY protocol v2 decoder written from the specification for the tests, sharing no code with the
/// encoder: it walks the bytes with explicit offsets and checks every length adds up.
struct DecodedV2: Equatable {
    var command: UInt8
    var familyProtocol: UInt8
    var source: ProxiedEndpoint
    var destination: ProxiedEndpoint
    /// Every top-level TLV in order, as (type, value).
    var tlvs: [TLV]
    struct TLV: Equatable {
        var type: UInt8
        var value: [UInt8]
    }
}

struct DecodeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum TestDecoder {
    static let signature: [UInt8] = [13, 10, 13, 10, 0, 13, 10, 81, 85, 73, 84, 10]

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 8 | Int(b[at + 1]) }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    /// Decodes one complete v2 header; `bytes` must hold exactly the header.
    static func decodeV2(_ bytes: [UInt8]) throws -> DecodedV2 {
        guard bytes.count >= 16 else { throw DecodeError("short: \(bytes.count)") }
        guard Array(bytes[0..<12]) == signature else { throw DecodeError("bad signature") }
        guard bytes[12] >> 4 == 2 else { throw DecodeError("version \(bytes[12] >> 4)") }
        let length = u16(bytes, 14)
        guard bytes.count == 16 + length else {
            throw DecodeError("length field \(length) but \(bytes.count - 16) bytes follow")
        }
        let addressLength: Int
        switch bytes[13] {
        case 0x11: addressLength = 12
        case 0x21: addressLength = 36
        default: throw DecodeError("family/protocol \(bytes[13])")
        }
        guard length >= addressLength else { throw DecodeError("address block does not fit") }
        let half = (addressLength - 4) / 2
        var offset = 16
        let sourceBytes = Array(bytes[offset..<offset + half])
        offset += half
        let destinationBytes = Array(bytes[offset..<offset + half])
        offset += half
        let sourcePort = UInt16(u16(bytes, offset))
        offset += 2
        let destinationPort = UInt16(u16(bytes, offset))
        offset += 2
        let tlvs = try decodeTLVs(Array(bytes[offset...]))
        return DecodedV2(
            command: bytes[12] & 0x0F, familyProtocol: bytes[13],
            source: ProxiedEndpoint(address: .init(bytes: sourceBytes)!, port: sourcePort),
            destination: ProxiedEndpoint(address: .init(bytes: destinationBytes)!, port: destinationPort),
            tlvs: tlvs)
    }

    /// Splits a TLV area; every TLV's declared length must lie within it and they must fill it exactly.
    static func decodeTLVs(_ area: [UInt8]) throws -> [DecodedV2.TLV] {
        var result: [DecodedV2.TLV] = []
        var offset = 0
        while offset < area.count {
            guard offset + 3 <= area.count else { throw DecodeError("truncated TLV header at \(offset)") }
            let type = area[offset]
            let length = u16(area, offset + 1)
            guard offset + 3 + length <= area.count else { throw DecodeError("TLV 0x\(type) overruns") }
            result.append(.init(type: type, value: Array(area[offset + 3..<offset + 3 + length])))
            offset += 3 + length
        }
        guard offset == area.count else { throw DecodeError("TLV area does not add up") }
        return result
    }

    /// Rebuilds a header value from decoded v2 bytes (for round trips).
    static func header(fromV2 bytes: [UInt8]) throws -> ProxyProtocolHeader {
        let decoded = try decodeV2(bytes)
        guard decoded.command == 1 else { throw DecodeError("command \(decoded.command)") }
        var header = ProxyProtocolHeader(source: decoded.source, destination: decoded.destination)
        for tlv in decoded.tlvs {
            switch tlv.type {
            case 0x01:
                guard header.alpn == nil else { throw DecodeError("duplicate ALPN") }
                header.alpn = tlv.value
            case 0x02:
                guard header.authority == nil else { throw DecodeError("duplicate authority") }
                guard let text = String(validating: tlv.value, as: UTF8.self) else {
                    throw DecodeError("authority not UTF-8")
                }
                header.authority = text
            case 0x20:
                guard header.ssl == nil else { throw DecodeError("duplicate SSL") }
                guard tlv.value.count >= 5 else { throw DecodeError("SSL TLV too short") }
                var ssl = ProxyProtocolSSLInfo(
                    client: .init(rawValue: tlv.value[0]), verify: u32(tlv.value, 1))
                for sub in try decodeTLVs(Array(tlv.value[5...])) {
                    guard let text = String(validating: sub.value, as: UTF8.self) else {
                        throw DecodeError("SSL sub-TLV not UTF-8")
                    }
                    switch sub.type {
                    case 0x21: ssl.version = text
                    case 0x22: ssl.commonName = text
                    case 0x23: ssl.cipher = text
                    default: throw DecodeError("unexpected SSL sub-TLV 0x\(sub.type)")
                    }
                }
                header.ssl = ssl
            default:
                throw DecodeError("unexpected TLV 0x\(tlv.type)")
            }
        }
        return header
    }
}
