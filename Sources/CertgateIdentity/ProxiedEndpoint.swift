import CertgatePosix
import Glibc

/// One end of a proxied TCP connection: an IPv4 or IPv6 address and a port, as plain bytes.
///
/// This is the PROXY protocol encoder's input type, so the encoder stays pure and needs nothing
/// from a socket. ``init(_:)`` converts a `ResolvedAddress`.
public struct ProxiedEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address, network byte order. No other length exists.
    public struct Address: Sendable, Hashable {
        /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
        public let bytes: [UInt8]

        /// An address from 4 (IPv4) or 16 (IPv6) bytes; `nil` for any other length.
        public init?(bytes: [UInt8]) {
            guard bytes.count == 4 || bytes.count == 16 else { return nil }
            self.bytes = bytes
        }

        /// The IPv4 address `a.b.c.d`.
        public static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Address {
            Address(bytes: [a, b, c, d])!
        }

        public var isIPv4: Bool { bytes.count == 4 }

        /// The same address as IPv6: IPv4 becomes the IPv4-mapped form `::ffff:a.b.c.d` (RFC 4291 2.5.5.2).
        public var asIPv6: Address {
            isIPv4 ? Address(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + bytes)! : self
        }

        /// Canonical text form: dotted quad for IPv4; for IPv6 the RFC 5952 form (lower-case hexadecimal,
        /// no leading zeros, the longest run of two or more zero groups — the first if tied — as `::`, and
        /// dotted-quad only for IPv4-mapped addresses, `::ffff:a.b.c.d`, per RFC 5952 section 5).
        ///
        /// Written out rather than left to `inet_ntop`, which also prints deprecated IPv4-compatible
        /// addresses (`::/96`) in dotted form (glibc: `::0.59.144.0` where RFC 5952 says `::3b:9000`) and
        /// differs between C libraries.
        public var text: String {
            if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
            let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
            if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
                return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
            }
            var best = (start: -1, length: 0)
            var index = 0
            while index < 8 {
                guard groups[index] == 0 else {
                    index += 1
                    continue
                }
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > best.length { best = (index, end - index) }
                index = end
            }
            func hex(_ range: Range<Int>) -> String {
                groups[range].map { String($0, radix: 16) }.joined(separator: ":")
            }
            guard best.length >= 2 else { return hex(0..<8) }
            return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
        }
    }

    public var address: Address
    public var port: UInt16

    public init(address: Address, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// The endpoint of a resolved socket address; `nil` unless it is `AF_INET` or `AF_INET6`.
    public init?(_ resolved: ResolvedAddress) {
        let bytes: [UInt8]? = resolved.withSockAddr { pointer, length in
            switch Int32(pointer.pointee.sa_family) {
            case AF_INET where Int(length) >= MemoryLayout<sockaddr_in>.size:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                    withUnsafeBytes(of: inet.pointee.sin_addr) { Array($0) }
                }
            case AF_INET6 where Int(length) >= MemoryLayout<sockaddr_in6>.size:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                    withUnsafeBytes(of: inet6.pointee.sin6_addr) { Array($0) }
                }
            default:
                return nil
            }
        }
        guard let bytes, let address = Address(bytes: bytes) else { return nil }
        self.init(address: address, port: resolved.port)
    }

    public var description: String {
        address.isIPv4 ? "\(address.text):\(port)" : "[\(address.text)]:\(port)"
    }
}
