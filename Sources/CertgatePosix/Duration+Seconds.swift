extension Duration {
    /// The duration in seconds as a `Double`: the unit libev timers, Prometheus histograms and the
    /// `POST /reload` JSON take. Negative durations give negative seconds (both components carry the sign).
    ///
    /// The one conversion in the code base; lives here, the lowest module, so that every other module
    /// (LibEV included) can use it.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
