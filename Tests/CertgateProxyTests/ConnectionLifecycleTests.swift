import CertgateHTTP
import CertgatePosix
import CertgateTLS
import Glibc
import LibEV
import Testing

@testable import CertgateProxy

/// The connection's life around the data path: handshake, upstream connect, an unreachable upstream,
/// the linger after certgate's own answer, timeouts, aborts and the forced close of a drain. Every test
/// drives `ConnectionStateMachine` the way `ProxyConnection` does and checks each action it answers.
@Suite("Connection state machine: lifecycle")
struct ConnectionLifecycleTests {
    @Test func startWaitsForTheClientHelloUnderTheHandshakeDeadline() {
        let machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        #expect(machine.start() == .wait)
        #expect(machine.phase == .handshaking)
        #expect(machine.deadline == .handshake)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == [])
    }

    @Test func handshakeWatchesWhatOpenSSLWaitsFor() {
        var machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        #expect(machine.clientReady(.read) == .handshake)
        #expect(machine.handshakeStepped(.wantWrite) == .wait)
        #expect(machine.clientInterest == .write)
        #expect(machine.clientReady(.write) == .handshake)
        #expect(machine.handshakeStepped(.wantRead) == .wait)
        #expect(machine.clientInterest == .read)
        #expect(machine.phase == .handshaking)
    }

    @Test func handshakeTimeoutCloses() {
        var machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        _ = machine.start()
        #expect(machine.timerFired() == .close(.handshakeTimedOut))
        #expect(machine.phase == .closed)
        #expect(machine.deadline == nil)
        #expect(machine.clientInterest == [])
    }

    @Test func failedOrAbandonedHandshakeCloses() {
        var failed = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        #expect(failed.clientReady(.read) == .handshake)
        #expect(failed.handshakeStepped(.failed(.system(ECONNRESET))) == .close(.handshakeFailed))
        var abandoned = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        #expect(abandoned.clientReady(.read) == .handshake)
        #expect(abandoned.handshakeStepped(.closed) == .close(.handshakePeerClosed))
        #expect(abandoned.phase == .closed)
    }

    @Test func connectInProgressWaitsForWritableUnderTheConnectDeadline() {
        var machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        #expect(machine.clientReady(.read) == .handshake)
        #expect(machine.handshakeStepped(.done(0)) == .report(.handshakeSucceeded))
        #expect(machine.next() == .connect)
        #expect(machine.connectStarted(.inProgress(9)) == .wait)
        #expect(machine.phase == .connecting)
        #expect(machine.deadline == .connect)
        #expect(machine.clientInterest == [], "nothing is read from the client before the upstream is there")
        #expect(machine.upstreamInterest == .write)
        #expect(machine.upstreamReady(.write) == .checkConnect)
        #expect(machine.connectChecked(0) == .report(.upstreamConnected))
        #expect(machine.next() == .readClient(onlyIfBuffered: true))
        #expect(machine.nothingBuffered() == .wait)
        #expect(machine.deadline == nil)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == .read)
    }

    @Test func refusedConnectSaysGoodbyeAndCloses() {
        var machine = ConnectionStateMachine.connecting()
        #expect(machine.connectStarted(.failed(ECONNREFUSED)) == .report(.upstreamConnectFailed(ECONNREFUSED)))
        #expect(machine.next() == .sendCloseNotify)
        #expect(machine.closeNotifySent(.wantWrite) == .close(.upstreamUnavailable), "the goodbye is not retried")
        #expect(machine.phase == .closed)
    }

    @Test func connectFailureFoundWhenWritableClosesToo() {
        var machine = ConnectionStateMachine.connecting()
        _ = machine.connectStarted(.inProgress(9))
        #expect(machine.upstreamReady(.write) == .checkConnect)
        #expect(machine.connectChecked(EHOSTUNREACH) == .report(.upstreamConnectFailed(EHOSTUNREACH)))
        #expect(machine.next() == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .close(.upstreamUnavailable))
    }

    @Test func connectTimeoutSaysGoodbyeAndCloses() {
        var machine = ConnectionStateMachine.connecting()
        _ = machine.connectStarted(.inProgress(9))
        #expect(machine.timerFired() == .report(.upstreamConnectTimedOut))
        #expect(machine.next() == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .close(.upstreamUnavailable))
    }

    @Test func refusedConnectWithForwardHeadersAnswers502AndLingers() {
        var machine = ConnectionStateMachine.connecting(forwardHeaders: true)
        #expect(machine.connectStarted(.failed(ECONNREFUSED)) == .report(.upstreamConnectFailed(ECONNREFUSED)))
        #expect(machine.next() == .dropUpstream)
        #expect(machine.next() == .write(.response(.badGateway), to: .client))
        #expect(machine.wrote(.complete) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.phase == .lingering)
        #expect(machine.deadline == .linger)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == [])
    }

    @Test func connectTimeoutWithForwardHeadersAnswers504() {
        var machine = ConnectionStateMachine.connecting(forwardHeaders: true)
        _ = machine.connectStarted(.inProgress(9))
        #expect(machine.timerFired() == .report(.upstreamConnectTimedOut))
        #expect(machine.next() == .dropUpstream)
        #expect(machine.deadline == nil)
        #expect(machine.next() == .write(.response(.gatewayTimeout), to: .client))
    }

    @Test func answerTheClientCannotTakeAtOnceIsFlushedBeforeTheHalfClose() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.connecting(forwardHeaders: true)
        _ = machine.connectStarted(.failed(ECONNREFUSED))
        #expect(machine.next() == .dropUpstream)
        #expect(machine.next() == .write(.response(.badGateway), to: .client))
        let rest = parked(100, from: pool)
        #expect(machine.wrote(blocked(parking: rest, written: 20)) == .wait)
        #expect(machine.phase == .proxying, "not lingering while the answer is still going out")
        #expect(machine.clientInterest == .write)
        #expect(machine.clientReady(.write) == .write(.parked(rest), to: .client))
        #expect(machine.wrote(.complete) == .recycle(rest.buffer))
        pool.give(rest.buffer)
        #expect(machine.next() == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.phase == .lingering)
        #expect(pool.outstanding == 0)
    }

    @Test func lingerReadsAndDropsUntilTheClientCloses() {
        var machine = lingering()
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(10)) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.wantRead) == .wait)
        #expect(machine.phase == .lingering)
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.closed) == .close(.lingerEnded))
    }

    @Test func lingerReadsAtMostTheBudgetPerEvent() {
        var machine = lingering()
        var action = machine.clientReady(.read)
        var reads = 0
        while action == .readClient(onlyIfBuffered: false) {
            reads += 1
            action = machine.clientRead(.done(100))
        }
        #expect(action == .wait)
        #expect(reads == ConnectionTransfer.readBudget)
        #expect(machine.clientInterest == .read)
    }

    @Test func lingerDeadlineCloses() {
        var machine = lingering()
        #expect(machine.deadline == .linger)
        #expect(machine.timerFired() == .close(.lingerEnded))
        #expect(machine.phase == .closed)
    }

    @Test func forcedCloseDuringTheHandshakeReleasesAtOnce() {
        var machine = ConnectionStateMachine(forwardsHeaders: false, sendsProxyHeader: false)
        _ = machine.start()
        #expect(machine.forceClose() == .close(.shutdown))
        #expect(machine.deadline == nil)
        #expect(machine.forceClose() == .wait, "closing twice does nothing")
    }

    @Test func forcedCloseMidTransferGivesBothBuffersBack() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        let up = parked(50, from: pool)
        let down = parked(70, from: pool)
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(50)) == .write(.scratch(50), to: .upstream))
        #expect(machine.wrote(blocked(parking: up)) == .wait)
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(70), filledBuffer: false) == .write(.scratch(70), to: .client))
        #expect(machine.wrote(blocked(parking: down)) == .wait)
        #expect(machine.forceClose() == .recycle(up.buffer))
        pool.give(up.buffer)
        #expect(machine.next() == .recycle(down.buffer))
        pool.give(down.buffer)
        #expect(machine.next() == .close(.shutdown))
        #expect(pool.outstanding == 0)
        #expect(machine.transfer.toUpstream.pending == nil && machine.transfer.toClient.pending == nil)
    }

    @Test func clientThatVanishesMidWriteAbortsAndGivesTheBuffersBack() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        let up = parked(30, from: pool)
        let down = parked(40, from: pool)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(30))
        #expect(machine.wrote(blocked(parking: up)) == .wait)
        _ = machine.upstreamReady(.read)
        _ = machine.upstreamRead(.done(40), filledBuffer: false)
        #expect(machine.wrote(blocked(parking: down)) == .wait)
        #expect(machine.clientReady(.write) == .write(.parked(down), to: .client))
        let gone = CloseCause.clientWriteFailed
        #expect(machine.wrote(.failed(gone)) == .recycle(up.buffer))
        pool.give(up.buffer)
        #expect(machine.next() == .recycle(down.buffer))
        pool.give(down.buffer)
        #expect(machine.next() == .close(gone))
        #expect(pool.outstanding == 0)
    }

    @Test func closeNotifyInTheMiddleOfAWriteAborts() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        let down = parked(40, from: pool)
        _ = machine.upstreamReady(.read)
        _ = machine.upstreamRead(.done(40), filledBuffer: false)
        #expect(machine.wrote(blocked(parking: down, waitsFor: .read)) == .wait)
        #expect(machine.clientInterest == .read)
        #expect(machine.clientReady(.read) == .write(.parked(down), to: .client))
        #expect(machine.wrote(.failed(.clientClosedWhileSending)) == .recycle(down.buffer))
        pool.give(down.buffer)
        #expect(machine.next() == .close(.clientClosedWhileSending))
    }

    @Test func readErrorsOnEitherSideAbort() {
        var client = ConnectionStateMachine.proxying()
        #expect(client.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(client.clientRead(.failed(.system(ECONNRESET))) == .close(.clientReadFailed))
        var upstream = ConnectionStateMachine.proxying()
        #expect(upstream.upstreamReady(.read) == .readUpstream)
        #expect(
            upstream.upstreamRead(.failed(ECONNRESET), filledBuffer: false) == .close(.upstreamReadFailed(ECONNRESET)))
        var write = ConnectionStateMachine.proxying()
        _ = write.clientReady(.read)
        #expect(write.clientRead(.done(8)) == .write(.scratch(8), to: .upstream))
        #expect(write.wrote(.failed(.upstreamWriteFailed(EPIPE))) == .close(.upstreamWriteFailed(EPIPE)))
    }

    /// A `--forward-headers` connection whose upstream could not be reached, after its 502: lingering.
    private func lingering() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine.connecting(forwardHeaders: true)
        _ = machine.connectStarted(.failed(ECONNREFUSED))
        _ = machine.next()
        _ = machine.next()
        _ = machine.wrote(.complete)
        _ = machine.closeNotifySent(.done(0))
        #expect(machine.next() == .wait)
        #expect(machine.phase == .lingering)
        return machine
    }
}
