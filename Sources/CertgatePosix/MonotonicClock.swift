import Glibc

/// A cheap monotonic clock for bookkeeping on the data path (the idle timeout's last activity):
/// `CLOCK_MONOTONIC_COARSE`, read from the vDSO without a syscall, with the resolution of the kernel
/// tick (1 to 4 ms). Unlike libev's `ev_now`, which follows the wall clock, it does not jump when the
/// system time is stepped, so a clock step can neither close quiet connections early nor keep them
/// open for the size of the step; it runs at the pace of libev's own timers (also monotonic).
public enum MonotonicClock {
    /// Seconds since an arbitrary start (boot), at tick resolution.
    @inlinable
    public static var coarseSeconds: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
