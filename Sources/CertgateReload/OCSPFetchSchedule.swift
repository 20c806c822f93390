/// When to fetch a certificate's OCSP response next (pure; times are seconds since the epoch).
///
/// After a good response: at half of its validity (thisUpdate..nextUpdate), or at nextUpdate minus
/// `margin` when that comes first, never sooner than `minimumDelay` from now. After a failure: back off,
/// `firstBackoff` doubling per consecutive failure up to `maximumBackoff`.
public struct OCSPFetchSchedule: Sendable, Equatable {
    public var margin: Int64 = 3600
    public var minimumDelay: Int64 = 60
    public var firstBackoff: Int64 = 60
    public var maximumBackoff: Int64 = 3600

    public init() {}

    /// The next fetch after a response valid from `thisUpdate` to `nextUpdate` was stored at `now`.
    public func afterSuccess(thisUpdate: Int64, nextUpdate: Int64, now: Int64) -> Int64 {
        let half = thisUpdate + (nextUpdate - thisUpdate) / 2
        let refresh = min(half, nextUpdate - margin)
        return max(refresh, now + minimumDelay)
    }

    /// The delay before the next try after `failures` consecutive failed fetches (1 for the first).
    public func backoff(failures: Int) -> Int64 {
        guard failures > 1 else { return firstBackoff }
        var delay = firstBackoff
        for _ in 1..<failures {
            delay *= 2
            if delay >= maximumBackoff { return maximumBackoff }
        }
        return delay
    }
}
