import CertgateMetrics
import CertgatePosix
import CertgateTLS
import Glibc
import LibEV
import Testing

@testable import CertgateProxy

/// `--idle-timeout` in the state machine: armed only while proxying, closing when the shell reports
/// that nothing moved for the whole timeout, kept (for the shell to re-arm for the rest) when something
/// did, never armed when off; and the `reason` each way of closing is counted under.
@Suite("Connection state machine: idle timeout")
struct IdleDeadlineTests {
    private static let timeout = Duration.seconds(1)

    @Test func handshakeAndConnectKeepTheirOwnDeadlines() {
        var machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false, idleTimeout: Self.timeout)
        #expect(machine.start() == .wait)
        #expect(machine.deadline == .handshake)
        // However long the client was quiet, a timer in the handshake is the handshake timeout.
        #expect(machine.timerFired(quietFor: .seconds(3_600)) == .close(.handshakeTimedOut))

        var connecting = ConnectionStateMachine.connecting(idleTimeout: Self.timeout)
        #expect(connecting.connectStarted(.inProgress(9)) == .wait)
        #expect(connecting.deadline == .connect)
    }

    @Test func armedOnceProxying() throws {
        let machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        #expect(machine.deadline == .idle)
        #expect(ConnectionDeadline.idle.duration(in: try settings(idle: .seconds(7))) == .seconds(7))
    }

    @Test func firesWhenNothingMovedForTheWholeTimeout() {
        var machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        #expect(machine.timerFired(quietFor: Self.timeout) == .close(.idleTimedOut))
        #expect(machine.phase == .closed)
        #expect(machine.deadline == nil)
        #expect(machine.clientInterest == [])
        #expect(machine.upstreamInterest == [])
    }

    @Test func staysArmedWhenTrafficMovedSinceTheTimerWasSet() {
        var machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        // Bytes moved (the shell did not touch the timer for them) ...
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(10)) == .write(.scratch(10), to: .upstream))
        #expect(machine.wrote(.complete) == .readClient(onlyIfBuffered: true))
        #expect(machine.nothingBuffered() == .wait)
        #expect(machine.deadline == .idle)
        // ... so the timer fires 300ms after them: nothing closes, the deadline stays for the re-arm.
        #expect(machine.timerFired(quietFor: .milliseconds(300)) == .wait)
        #expect(machine.phase == .proxying)
        #expect(machine.deadline == .idle)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == .read)
        // The re-armed timer fires after the rest of the timeout, with nothing moved since.
        #expect(machine.timerFired(quietFor: Self.timeout) == .close(.idleTimedOut))
    }

    @Test func offIsNeverArmed() {
        var machine = ConnectionStateMachine.proxying(idleTimeout: nil)
        #expect(machine.deadline == nil)
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.wouldBlock, filledBuffer: false) == .wait)
        #expect(machine.deadline == nil)
        // A stray timer (none is armed) changes nothing.
        #expect(machine.timerFired(quietFor: .seconds(3_600)) == .wait)
        #expect(machine.phase == .proxying)
    }

    @Test func appliesToAHalfClosedConnection() {
        var machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        _ = machine.clientReady(.read)
        #expect(machine.clientRead(.closed) == .shutdownUpstream)
        #expect(machine.next() == .wait)
        #expect(machine.deadline == .idle, "the upstream still owes its answer")
        #expect(machine.timerFired(quietFor: .seconds(2)) == .close(.idleTimedOut))
    }

    @Test func closingGivesParkedBuffersBack() {
        let pool = BufferPool(bufferSize: 64, maximumFree: 4)
        var machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        let bytes = parked(40, from: pool)
        _ = machine.upstreamReady(.read)
        #expect(machine.upstreamRead(.done(40), filledBuffer: false) == .write(.scratch(40), to: .client))
        #expect(machine.wrote(blocked(parking: bytes)) == .wait)
        #expect(machine.deadline == .idle, "a client that reads nothing is idle too")
        #expect(machine.timerFired(quietFor: Self.timeout) == .recycle(bytes.buffer))
        #expect(machine.next() == .close(.idleTimedOut))
    }

    @Test func lingerKeepsItsOwnDeadline() {
        var machine = ConnectionStateMachine.connecting(forwardHeaders: true, idleTimeout: Self.timeout)
        _ = machine.connectStarted(.failed(ECONNREFUSED))
        #expect(machine.next() == .dropUpstream)
        #expect(machine.next() == .write(.response(.badGateway), to: .client))
        #expect(machine.wrote(.complete) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.deadline == .linger)
    }

    @Test func everyCloseCauseHasAReason() {
        let expected: [(CloseCause, ConnectionCloseReason)] = [
            (.idleTimedOut, .idleTimeout), (.handshakeTimedOut, .handshakeTimeout),
            (.handshakePeerClosed, .clientClose), (.finished(.client), .clientClose), (.lingerEnded, .clientClose),
            (.finished(.upstream), .upstreamClose), (.shutdown, .drain), (.handshakeFailed, .error),
            (.upstreamUnavailable, .error), (.refusalTimedOut, .error), (.clientReadFailed, .error),
            (.clientWriteFailed, .error), (.clientClosedWhileSending, .error),
            (.upstreamReadFailed(ECONNRESET), .error), (.upstreamWriteFailed(EPIPE), .error),
        ]
        for (cause, reason) in expected {
            #expect(cause.closeReason == reason, "\(cause)")
        }
        #expect(Set(expected.map(\.1)) == Set(ConnectionCloseReason.allCases))
    }

    @Test func forceCloseIsADrain() {
        var machine = ConnectionStateMachine.proxying(idleTimeout: Self.timeout)
        #expect(machine.forceClose() == .close(.shutdown))
    }

    private func settings(idle: Duration?) throws -> ProxySettings {
        var settings = ProxySettings(
            upstream: try ResolvedAddress.resolve(host: "127.0.0.1", port: 1)[0], connectTimeout: .seconds(1),
            handshakeTimeout: .seconds(1), context: try TLSServerContext(settings: TLSSettings()))
        settings.idleTimeout = idle
        return settings
    }
}
