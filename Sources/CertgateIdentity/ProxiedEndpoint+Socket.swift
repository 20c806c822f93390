import Glibc

extension ProxiedEndpoint {
    /// The remote end of a connected socket (the client), or `nil`.
    public static func peer(of fd: Int32) -> ProxiedEndpoint? {
        endpoint(of: fd, getpeername)
    }

    /// The local end of a socket (the address the client connected to), or `nil`.
    public static func local(of fd: Int32) -> ProxiedEndpoint? {
        endpoint(of: fd, getsockname)
    }

    private static func endpoint(
        of fd: Int32, _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> ProxiedEndpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok =
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(fd, $0, &length) }
            } == 0
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                    let bytes = withUnsafeBytes(of: inet.pointee.sin_addr) { Array($0) }
                    return Address(bytes: bytes).map {
                        ProxiedEndpoint(address: $0, port: UInt16(bigEndian: inet.pointee.sin_port))
                    }
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                    let bytes = withUnsafeBytes(of: inet6.pointee.sin6_addr) { Array($0) }
                    return Address(bytes: bytes).map {
                        ProxiedEndpoint(address: $0, port: UInt16(bigEndian: inet6.pointee.sin6_port))
                    }
                }
            }
        default:
            return nil
        }
    }
}
