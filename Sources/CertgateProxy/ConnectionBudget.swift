/// What `--max-connections auto` becomes: as many client connections as the file descriptor limit can
/// carry, each one using two descriptors (the client's and the upstream's).
///
/// `limit = (descriptors - reserve) / 2`, at least 1, where the reserve covers everything that is not a
/// proxied connection: 64 for the process itself (standard streams, inotify and the files it reads
/// certificates and configuration from, the control loop, slack), 2 per worker (its listener and its
/// spare descriptor for shedding) and, with an admin listener, its connection cap plus 2 (its listener
/// and spare). With the common soft limit of 1024, one worker and no admin listener that is 479.
public struct ConnectionBudget: Sendable, Equatable {
    /// Descriptors kept for the process itself.
    public static let processReserve = 64
    /// Descriptors kept per worker.
    public static let perWorkerReserve = 2

    /// `RLIMIT_NOFILE` (after raising it to the hard limit).
    public var descriptorLimit: Int
    public var workers: Int
    /// The admin listener's connection cap; `nil` without an admin listener.
    public var adminConnections: Int?

    public init(descriptorLimit: Int, workers: Int, adminConnections: Int?) {
        self.descriptorLimit = descriptorLimit
        self.workers = workers
        self.adminConnections = adminConnections
    }

    /// Descriptors not available to proxied connections.
    public var reserve: Int {
        Self.processReserve + Self.perWorkerReserve * max(workers, 1) + (adminConnections.map { $0 + 2 } ?? 0)
    }

    /// The default connection limit.
    public var defaultLimit: Int {
        guard descriptorLimit > reserve else { return 1 }
        // Beyond any real process; keeps the arithmetic and the gauge sane with RLIM_INFINITY.
        let usable = min(descriptorLimit, 1 << 40) - reserve
        return max(usable / 2, 1)
    }
}
