import CertgatePosix
import Glibc

/// Who can reach an admin listener, and so whether it may serve `/metrics` and `/reload` without a token.
///
/// A listener on a loopback address is reachable from this host (or pod) only. Anywhere else, without
/// `--admin-token-file`, anyone on the network could read the metrics and trigger reloads: those paths
/// answer 403 unless `--admin-insecure` says that is intended. `/healthz` and `/readyz` stay open for probes.
public enum AdminExposure {
    /// Whether `address` is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104.
    public static func isLoopback(_ address: ResolvedAddress) -> Bool {
        address.withSockAddr { pointer, _ in
            switch Int32(pointer.pointee.sa_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { bytes in
                        let loopback = bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
                        let mapped =
                            bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
                            && bytes[12] == 127
                        return loopback || mapped
                    }
                }
            default:
                return false
            }
        }
    }

    /// Whether the token-protected paths must be refused: a non-loopback listener with no token, unless
    /// `insecure` (`--admin-insecure`).
    public static func refusesProtectedPaths(address: ResolvedAddress, hasToken: Bool, insecure: Bool) -> Bool {
        !hasToken && !insecure && !isLoopback(address)
    }

    /// The answer to a refused request: says what to configure.
    public static let refusal = AdminResponse.text(
        "forbidden: this admin listener is not on a loopback address and has no --admin-token-file; "
            + "set a token (or --admin-insecure to serve it to anyone)\n",
        status: 403)
}
