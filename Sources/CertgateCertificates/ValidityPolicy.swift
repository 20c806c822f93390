import CertgatePosix

/// Whether certificates outside their validity period are refused.
public enum ValidityPolicy: Sendable, Equatable {
    /// Refuse a certificate that is expired or not yet valid at this time (seconds since the epoch).
    case enforce(now: Int64)
    /// Serve whatever parses (`--allow-expired`).
    case allowAny

    /// The policy for `allowExpired` at the current time.
    public static func current(allowExpired: Bool) -> ValidityPolicy {
        allowExpired ? .allowAny : .enforce(now: Timestamp.now)
    }

    /// Why `notBefore...notAfter` is not acceptable now, or `nil`.
    public func problem(notBefore: Int64, notAfter: Int64) -> String? {
        guard case .enforce(let now) = self else { return nil }
        if notAfter < now { return "certificate expired at \(Timestamp.rfc3339(notAfter))" }
        if notBefore > now { return "certificate is not valid before \(Timestamp.rfc3339(notBefore))" }
        return nil
    }
}
