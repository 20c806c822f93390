/// Which upstream address a connection tries, and in what order: a worker starts each new connection
/// one address further along the list (round robin), and a failed connect moves on to the next one,
/// each address at most once per client connection. Indices only, no sockets.
struct UpstreamRotation: Equatable {
    /// How many addresses there are; at least 1.
    let count: Int
    /// The index tried first.
    let start: Int
    /// Addresses handed out so far.
    private(set) var tried = 0

    /// `cursor`: the worker's running connection count; any value, negative included.
    init(count: Int, cursor: Int) {
        self.count = max(count, 1)
        let remainder = cursor % self.count
        self.start = remainder < 0 ? remainder + self.count : remainder
    }

    /// The next index to try, `nil` once every address has been tried.
    mutating func next() -> Int? {
        guard tried < count else { return nil }
        defer { tried += 1 }
        return (start + tried) % count
    }

    /// Addresses not tried yet.
    var remaining: Int { count - tried }
}
