import CertgateTLS

/// The bounded rotating pool of client-CA generations (field notes §4): trust is the union of the last
/// `limit` distinct CA bundles, so clients holding a certificate from the previous CA keep working
/// through a CA rotation.
///
/// - A generation is the set of CA certificates of one successful load, identified by a SHA-256 over
///   their sorted DER fingerprints (order and duplicates inside a bundle do not matter).
/// - A load enters as a new generation only if it differs from the newest one: an unchanged reload
///   (a SIGHUP, a rewritten file) uses no slot. A bundle identical to an older retained generation
///   (a rotation back, A → B → A) moves that generation to the front instead of taking a second slot.
/// - The newest `limit` generations are kept; whole generations are evicted, oldest first; the current
///   (newest) one never is. With `maxAge`, a previous generation is also retired once it has been
///   superseded for longer than that.
///
/// A pure value: loading, parsing and building the `X509_STORE` happen elsewhere. `Root` is whatever
/// the caller keeps per CA (a parsed certificate); `fingerprint` identifies it.
public struct RootPool<Root: Sendable>: Sendable {
    public struct Member: Sendable {
        public let root: Root
        /// SHA-256 of the certificate's DER encoding.
        public let fingerprint: [UInt8]

        public init(root: Root, fingerprint: [UInt8]) {
            self.root = root
            self.fingerprint = fingerprint
        }
    }

    public struct Generation: Sendable {
        /// Hex SHA-256 over the sorted, de-duplicated fingerprints.
        public let id: String
        /// One per distinct fingerprint, sorted by fingerprint.
        public let members: [Member]
        /// When this generation was loaded (seconds since the epoch).
        public let loadedAt: Int64
        /// When a newer generation replaced it as the current one; `nil` while it is current.
        public internal(set) var supersededAt: Int64?
    }

    public enum Admission: Sendable {
        /// The bundle is a new current generation; `evicted` left the pool to make room (or by age).
        case added(evicted: [Generation])
        /// Same CAs as the current generation: nothing changed.
        case unchanged
    }

    public let limit: Int
    public let maxAge: Int64?
    /// Oldest first; the last one is current.
    public private(set) var generations: [Generation] = []

    /// - Parameters:
    ///   - limit: generations kept (at least 1).
    ///   - maxAge: seconds a superseded generation stays trusted; `nil` for no age limit.
    public init(limit: Int, maxAge: Int64? = nil) {
        self.limit = max(1, limit)
        self.maxAge = maxAge
    }

    /// The same generations under a new limit and maximum age (a configuration reload changed
    /// `--roots-limit` or `--roots-max-age`): the oldest go first when there are now too many, and aged
    /// ones are retired; the current one always stays.
    public func resized(limit: Int, maxAge: Int64?, now: Int64) -> (pool: RootPool, evicted: [Generation]) {
        var pool = RootPool(limit: limit, maxAge: maxAge)
        pool.generations = generations
        var evicted: [Generation] = []
        while pool.generations.count > pool.limit {
            evicted.append(pool.generations.removeFirst())
        }
        evicted += pool.retireAged(now: now)
        return (pool, evicted)
    }

    public var current: Generation? { generations.last }

    /// The generation id a bundle would get.
    public static func generationID(of members: [Member]) -> String {
        let sorted = Set(members.map(\.fingerprint)).sorted { $0.lexicographicallyPrecedes($1) }
        return ContentDigest(parts: sorted).hex
    }

    /// Admits the CAs of one successful load at `now`. An empty bundle is not a generation: callers
    /// treat it as a load failure (nothing changes).
    public mutating func admit(_ members: [Member], now: Int64) -> Admission {
        precondition(!members.isEmpty, "an empty CA bundle is a load failure, not a generation")
        let id = Self.generationID(of: members)
        if current?.id == id { return .unchanged }
        var seen = Set<[UInt8]>()
        let distinct = members.filter { seen.insert($0.fingerprint).inserted }
            .sorted { $0.fingerprint.lexicographicallyPrecedes($1.fingerprint) }
        var evicted: [Generation] = []
        generations.removeAll { $0.id == id }
        if !generations.isEmpty { generations[generations.count - 1].supersededAt = now }
        generations.append(Generation(id: id, members: distinct, loadedAt: now, supersededAt: nil))
        while generations.count > limit {
            evicted.append(generations.removeFirst())
        }
        evicted += retireAged(now: now)
        return .added(evicted: evicted)
    }

    /// Retires previous generations superseded for longer than `maxAge`; returns them. The current one
    /// is never retired.
    public mutating func retireAged(now: Int64) -> [Generation] {
        guard let maxAge, generations.count > 1 else { return [] }
        var retired: [Generation] = []
        generations.removeAll { generation in
            guard let superseded = generation.supersededAt, now - superseded > maxAge else { return false }
            retired.append(generation)
            return true
        }
        return retired
    }

    /// When the next previous generation will be retired by age, if any.
    public var nextRetirement: Int64? {
        guard let maxAge else { return nil }
        return generations.compactMap { $0.supersededAt.map { $0 + maxAge + 1 } }.min()
    }

    /// Every CA trusted now: the union of the retained generations, one per fingerprint, newest
    /// generation's copy first.
    public var trusted: [Member] {
        var seen = Set<[UInt8]>()
        var union: [Member] = []
        for generation in generations.reversed() {
            for member in generation.members where seen.insert(member.fingerprint).inserted {
                union.append(member)
            }
        }
        return union
    }
}
