import Glibc

/// A socket address resolved once (at start-up) and reused for every connect/bind.
///
/// Stored as raw `sockaddr_storage` bytes so it is a plain Sendable value that any thread can use.
public struct ResolvedAddress: Sendable, Equatable, CustomStringConvertible {
    public let family: Int32
    private let storage: [UInt8]
    public var length: socklen_t { socklen_t(storage.count) }

    init(family: Int32, pointer: UnsafePointer<sockaddr>, length: socklen_t) {
        self.family = family
        self.storage = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: Int(length)))
    }

    /// Calls `body` with a pointer to the address, valid for the call only.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    /// The TCP port of this address.
    public var port: UInt16 {
        withSockAddr { pointer, _ in
            switch Int32(pointer.pointee.sa_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin_port)
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin6_port)
                }
            default:
                return 0
            }
        }
    }

    /// The same address with another port (to join a port the kernel chose for port 0).
    public func withPort(_ port: UInt16) -> ResolvedAddress {
        var copy = storage
        copy.withUnsafeMutableBytes { raw in
            switch family {
            case AF_INET:
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port = port.bigEndian
            case AF_INET6:
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port = port.bigEndian
            default:
                break
            }
        }
        return ResolvedAddress(family: family, storage: copy)
    }

    private init(family: Int32, storage: [UInt8]) {
        self.family = family
        self.storage = storage
    }

    /// Numeric form: "127.0.0.1:8080" or "[::1]:8080".
    public var description: String {
        withSockAddr { pointer, length in
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
            let rc = getnameinfo(
                pointer, length, &host, socklen_t(host.count), &service,
                socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            guard rc == 0 else { return "<unprintable address>" }
            let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return family == AF_INET6 ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
        }
    }

    /// Resolves `host` and `port` (numeric or DNS name) to TCP addresses, in resolver order.
    ///
    /// - Parameter passive: resolve for `bind` (an empty host means every interface).
    public static func resolve(host: String, port: UInt16, passive: Bool = false) throws(ResolveError)
        -> [ResolvedAddress]
    {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_ADDRCONFIG | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ResolveError(host: host, message: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var result: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                result.append(
                    ResolvedAddress(
                        family: entry.pointee.ai_family, pointer: address,
                        length: entry.pointee.ai_addrlen))
            }
            cursor = entry.pointee.ai_next
        }
        guard !result.isEmpty else { throw ResolveError(host: host, message: "no addresses") }
        return result
    }
}

/// `getaddrinfo` failed for a host.
public struct ResolveError: Error, CustomStringConvertible {
    public let host: String
    public let message: String
    public init(host: String, message: String) {
        self.host = host
        self.message = message
    }
    public var description: String { "cannot resolve '\(host)': \(message)" }
}
