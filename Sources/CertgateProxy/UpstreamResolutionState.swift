import CertgatePosix

/// What the periodic re-resolution of an `--upstream` host name knows: the last good address list, and
/// whether the latest attempt failed. A failure keeps the last good list; only a change of state (from
/// working to failing, a different error, or recovering) is worth a log line. No I/O.
public struct UpstreamResolutionState: Equatable, Sendable {
    /// What one resolution result means for the caller.
    public struct Outcome: Equatable, Sendable {
        /// The list to publish to the workers; `nil` when the one in use stays.
        public var publish: [ResolvedAddress]?
        /// The line to log, if the state changed.
        public var log: LogEvent?
        /// `success` or `failure`, for the counter.
        public var result: String
    }

    public enum LogEvent: Equatable, Sendable {
        /// Resolution started failing (or fails differently now); the last good list stays.
        case failing(String)
        /// Resolution works again after failing.
        case recovered
        /// The name resolves to a different list than before.
        case changed
    }

    /// The addresses in use.
    public private(set) var addresses: [ResolvedAddress]
    /// The error of the latest attempt; `nil` when it succeeded.
    public private(set) var failure: String?

    public init(addresses: [ResolvedAddress]) {
        self.addresses = addresses
    }

    public mutating func record(_ result: Result<[ResolvedAddress], ResolveError>) -> Outcome {
        switch result {
        case .success(let list) where !list.isEmpty:
            let recovered = failure != nil
            failure = nil
            guard list != addresses else {
                return Outcome(publish: nil, log: recovered ? .recovered : nil, result: "success")
            }
            addresses = list
            return Outcome(publish: list, log: recovered ? .recovered : .changed, result: "success")
        case .success:
            return failed("no addresses")
        case .failure(let error):
            return failed(error.message)
        }
    }

    private mutating func failed(_ message: String) -> Outcome {
        let changed = failure != message
        failure = message
        return Outcome(publish: nil, log: changed ? .failing(message) : nil, result: "failure")
    }
}
