import Testing

@testable import CertgateReload

@Suite("Reload delta")
struct ReloadDeltaTests {
    private let now = ContinuousClock.now

    @Test func aFailureIsNewOnlyWhenItsReasonDiffersFromBeforeTheReload() {
        let earlier = SourceFailure(reason: "a.pem: bad", attempts: 2, retryAt: now)
        var delta = ReloadDelta(failures: ["a": earlier], now: now)
        #expect(delta.recordFailure("a", "a.pem: bad") == false)
        #expect(delta.failures["a"]?.attempts == 3)
        #expect(delta.failures["a"]?.retryAt == now + SourceFailure.backoff(afterAttempts: 3))
        #expect(delta.recordFailure("a", "a.pem: worse") == true)
        #expect(delta.recordFailure("b", "b.pem: bad") == true)
        #expect(delta.failures["b"]?.attempts == 1)
        // Compared with the failures as they were when the reload started, not with this reload's own.
        #expect(delta.recordFailure("b", "b.pem: bad") == true)
    }

    @Test func failuresThatAreOverEnd() {
        let failure = SourceFailure(reason: "x", attempts: 1, retryAt: now)
        var delta = ReloadDelta(
            failures: [
                "gone": failure, "still": failure, "directory:/back": failure, "directory:/down": failure,
                CertificateStore.snapshotKey: failure,
            ], now: now)
        delta.outcomes["still"] = .failed(reason: "x", serving: nil, firstReport: false)
        delta.endResolvedFailures(unreadable: ["/down"])
        #expect(Set(delta.failures.keys) == ["still", "directory:/down", CertificateStore.snapshotKey])
    }

    @Test func outcomesAreListedInBytewiseNameOrder() {
        var delta = ReloadDelta(failures: [:], now: now)
        for name in ["b", "B", "a", "é", "A"] { delta.outcomes[name] = .unchanged }
        #expect(delta.sortedOutcomes.map(\.name) == ["A", "B", "a", "b", "é"])
    }
}
