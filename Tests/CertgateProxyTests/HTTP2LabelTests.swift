import CertgateHTTP2
import CertgateMetrics
import Testing

@testable import CertgateProxy

/// The label values the HTTP/2 connection counts under exist from start-up: every defence the session
/// reports and every outcome of a stream has its series.
@Suite("HTTP/2 metric labels")
struct HTTP2LabelTests {
    @Test func everyDefenceHasAnAttackSeries() {
        #expect(Set(HTTP2Defence.allCases.map(\.rawValue)) == Set(HTTP2Metrics.attackKinds))
    }

    @Test func everyStreamOutcomeHasARequestSeries() {
        let outcomes: [HTTP2Exchange.Outcome] = [.forwarded, .refused, .upstreamFailed]
        for outcome in outcomes { #expect(HTTP2Metrics.results.contains(outcome.rawValue), "\(outcome)") }
        // A stream closed while still pending counts as reset.
        #expect(HTTP2Metrics.results.contains("reset"))
    }
}
