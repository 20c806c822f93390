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

        /// Canonical text form: dotted quad, or RFC 5952 IPv6 (what `inet_ntop` produces).
        public var text: String {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let ok = bytes.withUnsafeBytes { raw in
                inet_ntop(isIPv4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
            }
            precondition(ok, "inet_ntop cannot fail for a 4- or 16-byte address")
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
