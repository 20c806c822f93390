import CertgatePosix
import Testing

@Suite("Accept back-off")
struct AcceptBackoffTests {
    @Test("failures in a row pause 50 ms, then twice as long each time, never more than 1 s")
    func doublesUpToTheCap() {
        var backoff = AcceptBackoff()
        let pauses = (0..<8).map { _ in backoff.failed() }
        #expect(
            pauses == [
                .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                .seconds(1), .seconds(1), .seconds(1),
            ])
    }

    @Test("a successful accept starts the schedule again")
    func successResets() {
        var backoff = AcceptBackoff()
        for _ in 0..<6 { _ = backoff.failed() }
        #expect(backoff.next == .seconds(1))
        backoff.succeeded()
        #expect(backoff.next == .milliseconds(50))
        #expect(backoff.failed() == .milliseconds(50))
        #expect(backoff.failed() == .milliseconds(100))
    }

    @Test("success before any failure changes nothing")
    func successAtStart() {
        var backoff = AcceptBackoff()
        backoff.succeeded()
        #expect(backoff == AcceptBackoff())
        #expect(backoff.failed() == AcceptBackoff.initial)
    }
}
