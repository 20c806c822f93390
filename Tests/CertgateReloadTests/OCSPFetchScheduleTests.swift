import Testing

@testable import CertgateReload

@Suite("OCSP fetch schedule")
struct OCSPFetchScheduleTests {
    let schedule = OCSPFetchSchedule()

    @Test func refreshesAtHalfOfALongValidity() {
        // Seven days: half way comes well before nextUpdate minus the margin.
        let this: Int64 = 1_000_000
        let next = this + 7 * 86400
        #expect(schedule.afterSuccess(thisUpdate: this, nextUpdate: next, now: this) == this + 7 * 43200)
    }

    @Test func refreshesAMarginBeforeNextUpdateWhenThatComesFirst() {
        // 90 minutes: half is 45 minutes, nextUpdate minus one hour is 30 minutes.
        let this: Int64 = 1_000_000
        #expect(schedule.afterSuccess(thisUpdate: this, nextUpdate: this + 5400, now: this) == this + 1800)
    }

    @Test func neverSoonerThanTheMinimumDelay() {
        let now: Int64 = 1_000_000
        #expect(schedule.afterSuccess(thisUpdate: now - 7200, nextUpdate: now + 600, now: now) == now + 60)
        #expect(schedule.afterSuccess(thisUpdate: now, nextUpdate: now + 60, now: now) == now + 60)
    }

    @Test func backsOffDoublingUpToAnHour() {
        #expect(schedule.backoff(failures: 0) == 60)
        #expect(schedule.backoff(failures: 1) == 60)
        #expect(schedule.backoff(failures: 2) == 120)
        #expect(schedule.backoff(failures: 3) == 240)
        #expect(schedule.backoff(failures: 6) == 1920)
        #expect(schedule.backoff(failures: 7) == 3600)
        #expect(schedule.backoff(failures: 1000) == 3600)
    }
}
