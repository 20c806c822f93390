import CertgateHTTP
import CertgatePosix
import CertgateTLS
import Glibc
import LibEV
import Testing

@testable import CertgateProxy

/// The proxying phase: bytes both ways, backpressure, half-closes, the PROXY header and the
/// `--forward-headers` rewriter, driven through `ConnectionStateMachine` without sockets.
@Suite("Connection state machine: transfer")
struct ConnectionTransferTests {
    @Test func clientBytesGoStraightUpstreamThenOnlyWhatOpenSSLHolds() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(100)) == .write(.scratch(100), to: .upstream))
        // No read until EAGAIN: the level-triggered watcher shows what is left on the socket.
        #expect(machine.wrote(.complete) == .readClient(onlyIfBuffered: true))
        #expect(machine.nothingBuffered() == .wait)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == .read)
    }

    @Test func clientReadsGoOnWhileOpenSSLHoldsBytesThenTheLoopCallsBack() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        for read in 1...ConnectionTransfer.readBudget {
            #expect(machine.clientRead(.done(10)) == .write(.scratch(10), to: .upstream))
            let next = machine.wrote(.complete)
            if read < ConnectionTransfer.readBudget {
                #expect(next == .readClient(onlyIfBuffered: true))
            } else {
                // The budget is spent: what OpenSSL still holds waits for the loop's next iteration.
                #expect(next == .readClientLater)
            }
        }
        #expect(machine.next() == .wait)
        #expect(machine.clientInterest == .read)
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false), "a fresh budget")
    }

    @Test func upstreamBytesGoStraightToTheClient() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(50), filledBuffer: true) == .write(.scratch(50), to: .client))
        #expect(machine.wrote(.complete) == .readUpstream)
        #expect(machine.upstreamRead(.wouldBlock, filledBuffer: false) == .wait)
        #expect(machine.upstreamInterest == .read)
    }

    @Test func aShortUpstreamReadEndsTheTask() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(50), filledBuffer: false) == .write(.scratch(50), to: .client))
        #expect(machine.wrote(.complete) == .wait)
        #expect(machine.upstreamInterest == .read, "what is left shows up as readiness")
        #expect(machine.clientInterest == .read)
    }

    @Test func upstreamReadsStopAtTheBudget() {
        var machine = ConnectionStateMachine.proxying()
        var action = machine.upstreamReady(.read)
        var reads = 0
        while action == .readUpstream {
            reads += 1
            #expect(machine.upstreamRead(.done(10), filledBuffer: true) == .write(.scratch(10), to: .client))
            action = machine.wrote(.complete)
        }
        #expect(reads == ConnectionTransfer.readBudget)
        #expect(action == .wait)
        #expect(machine.upstreamInterest == .read, "the rest is picked up on the next readiness")
    }

    @Test func fullUpstreamParksTheRestAndStopsReadingTheClientUntilItDrains() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        _ = machine.clientReady(.read)
        #expect(machine.clientRead(.done(100)) == .write(.scratch(100), to: .upstream))
        let rest = parked(60, from: pool)
        #expect(machine.wrote(blocked(parking: rest, written: 40)) == .wait)
        #expect(machine.transfer.toUpstream.pending == rest)
        #expect(machine.clientInterest == [], "the client is not read while its bytes are parked")
        #expect(machine.upstreamInterest == [.read, .write])
        // Readable only: nothing to write, the upstream → client direction reads.
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.wouldBlock, filledBuffer: false) == .wait)
        // Writable: part of the parked bytes go, the rest stays parked.
        #expect(machine.upstreamReady(.write) == .write(.parked(rest), to: .upstream))
        #expect(machine.wrote(.blocked(written: 20, parked: nil, waitsFor: .write)) == .wait)
        let left = try! #require(machine.transfer.toUpstream.pending)
        #expect(left.count == 40 && left.buffer == rest.buffer)
        #expect(machine.upstreamReady(.write) == .write(.parked(left), to: .upstream))
        // Drained: the buffer goes back and the client is read at once.
        #expect(machine.wrote(.complete) == .recycle(rest.buffer))
        pool.give(rest.buffer)
        #expect(machine.next() == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.wantRead) == .wait)
        #expect(machine.clientInterest == .read)
        #expect(machine.upstreamInterest == .read)
        #expect(pool.outstanding == 0)
    }

    @Test func fullClientParksTheRestAndStopsReadingTheUpstreamUntilItDrains() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        _ = machine.upstreamReady(.read)
        #expect(machine.upstreamRead(.done(80), filledBuffer: false) == .write(.scratch(80), to: .client))
        let rest = parked(80, from: pool)
        // OpenSSL needs the socket readable before it can write again (a renegotiation-like state).
        #expect(machine.wrote(blocked(parking: rest, waitsFor: .read)) == .wait)
        #expect(machine.upstreamInterest == [], "the upstream is not read while its bytes are parked")
        #expect(machine.clientInterest == .read)
        // Readable: the parked bytes first, then more from the upstream, then reading the client.
        #expect(machine.clientReady(.read) == .write(.parked(rest), to: .client))
        #expect(machine.wrote(.complete) == .recycle(rest.buffer))
        pool.give(rest.buffer)
        #expect(machine.next() == .readUpstream)
        #expect(machine.upstreamRead(.wouldBlock, filledBuffer: false) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.wantRead) == .wait)
        #expect(machine.upstreamInterest == .read)
        #expect(machine.clientInterest == .read)
    }

    @Test func writableClientWithNothingParkedCostsNothing() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.clientReady(.write) == .wait)
        #expect(machine.upstreamReady(.write) == .wait)
    }

    @Test func clientCloseNotifyHalfClosesTheUpstreamAndTheOtherDirectionKeepsFlowing() {
        var machine = ConnectionStateMachine.proxying()
        _ = machine.clientReady(.read)
        #expect(machine.clientRead(.closed) == .shutdownUpstream)
        #expect(machine.next() == .wait)
        #expect(machine.transfer.toUpstream.isFinished)
        #expect(machine.clientInterest == [])
        #expect(machine.upstreamInterest == .read)
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(10), filledBuffer: true) == .write(.scratch(10), to: .client))
        #expect(machine.wrote(.complete) == .readUpstream)
        #expect(machine.upstreamRead(.endOfStream, filledBuffer: false) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .close(.finished(.client)))
        #expect(machine.phase == .closed)
    }

    @Test func upstreamFinBecomesCloseNotifyAndTheClientKeepsSending() {
        var machine = ConnectionStateMachine.proxying()
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.endOfStream, filledBuffer: false) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.transfer.toClient.isFinished)
        #expect(machine.upstreamInterest == [])
        #expect(machine.clientInterest == .read)
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(5)) == .write(.scratch(5), to: .upstream))
        // The close_notify came with the bytes: OpenSSL holds it.
        #expect(machine.wrote(.complete) == .readClient(onlyIfBuffered: true))
        #expect(machine.clientRead(.closed) == .shutdownUpstream)
        #expect(machine.next() == .close(.finished(.upstream)))
    }

    @Test func blockedCloseNotifyIsRetriedWhenTheClientIsWritable() {
        var machine = ConnectionStateMachine.proxying()
        _ = machine.upstreamReady(.read)
        #expect(machine.upstreamRead(.endOfStream, filledBuffer: false) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.wantWrite) == .wait)
        #expect(machine.clientInterest == [.read, .write])
        #expect(!machine.transfer.toClient.isFinished)
        #expect(machine.clientReady(.write) == .sendCloseNotify)
        // A client that is gone by now cannot be told more: the direction is over all the same.
        #expect(machine.closeNotifySent(.failed(.system(EPIPE))) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.transfer.toClient.isFinished)
    }

    @Test func upstreamEndWaitsForTheParkedBytesBeforeTheCloseNotify() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying()
        _ = machine.upstreamReady(.read)
        _ = machine.upstreamRead(.done(30), filledBuffer: false)
        let rest = parked(30, from: pool)
        #expect(machine.wrote(blocked(parking: rest)) == .wait)
        #expect(machine.clientReady(.write) == .write(.parked(rest), to: .client))
        #expect(machine.wrote(.complete) == .recycle(rest.buffer))
        pool.give(rest.buffer)
        #expect(machine.next() == .readUpstream)
        #expect(machine.upstreamRead(.endOfStream, filledBuffer: false) == .sendCloseNotify)
    }

    @Test func proxyHeaderGoesFirstAndAParkedHeaderHoldsTheClientBack() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.connecting(proxyHeader: true)
        #expect(machine.connectStarted(.connected(9)) == .report(.upstreamConnected))
        #expect(machine.next() == .write(.proxyHeader, to: .upstream))
        let header = parked(20, from: pool)
        #expect(machine.wrote(blocked(parking: header, written: 8)) == .wait)
        #expect(machine.clientInterest == [])
        #expect(machine.upstreamInterest == [.read, .write])
        #expect(machine.upstreamReady(.write) == .write(.parked(header), to: .upstream))
        #expect(machine.wrote(.complete) == .recycle(header.buffer))
        pool.give(header.buffer)
        #expect(machine.next() == .readClient(onlyIfBuffered: false))
    }

    @Test func forwardHeadersFeedsTheRewriterAndWritesItsOutput() {
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        #expect(machine.clientReady(.read) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.done(30)) == .feedRewriter(count: 30))
        #expect(machine.rewriterAdvanced(RewriterStatus(hasOutput: true)) == .write(.rewriterOutput, to: .upstream))
        #expect(machine.wrote(.complete, rewriter: RewriterStatus()) == .readClient(onlyIfBuffered: true))
        #expect(machine.clientRead(.wantRead) == .wait)
        // Responses are shown to the rewriter before they go to the client.
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(12), filledBuffer: false) == .observeResponse(count: 12))
        #expect(machine.responseObserved(releasedInput: false, RewriterStatus()) == .write(.scratch(12), to: .client))
    }

    @Test func rewriterOutputLongerThanABufferWaitsBehindTheParkedPart() {
        let pool = BufferPool(bufferSize: 256, maximumFree: 2)
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(30))
        _ = machine.rewriterAdvanced(RewriterStatus(hasOutput: true))
        let part = parked(256, from: pool)
        #expect(machine.wrote(blocked(parking: part), rewriter: RewriterStatus(hasOutput: true)) == .wait)
        #expect(machine.clientInterest == [])
        #expect(machine.upstreamReady(.write) == .write(.parked(part), to: .upstream))
        #expect(machine.wrote(.complete) == .recycle(part.buffer))
        pool.give(part.buffer)
        #expect(machine.next() == .write(.rewriterOutput, to: .upstream))
        #expect(machine.wrote(.complete, rewriter: RewriterStatus()) == .readClient(onlyIfBuffered: false))
    }

    @Test func refusedRequestWaitsForTheUpstreamThenAnswersAndLingers() {
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(40))
        let refused = RewriterStatus(rejection: .badHost)
        #expect(machine.rewriterAdvanced(refused) == .report(.requestRefused(.badHost)))
        #expect(machine.next() == .shutdownUpstream)
        #expect(machine.next() == .wait)
        #expect(machine.deadline == .responseGrace)
        #expect(machine.clientInterest == [], "nothing more is read from the client")
        #expect(machine.upstreamInterest == .read)
        // The upstream's answers to the earlier requests pass on, then certgate's own.
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(20), filledBuffer: true) == .observeResponse(count: 20))
        #expect(machine.responseObserved(releasedInput: false, refused) == .write(.scratch(20), to: .client))
        #expect(machine.wrote(.complete) == .readUpstream)
        #expect(
            machine.upstreamRead(.endOfStream, filledBuffer: false)
                == .write(.response(.refused(.badHost)), to: .client))
        #expect(machine.deadline == nil)
        #expect(machine.wrote(.complete) == .sendCloseNotify)
        #expect(machine.closeNotifySent(.done(0)) == .shutdownClient)
        #expect(machine.next() == .wait)
        #expect(machine.phase == .lingering)
        #expect(machine.deadline == .linger)
    }

    @Test func refusedRequestClosesWhenTheUpstreamTakesLongerThanTheGrace() {
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(40))
        _ = machine.rewriterAdvanced(RewriterStatus(rejection: .headTooLarge))
        _ = machine.next()
        #expect(machine.next() == .wait)
        #expect(machine.timerFired() == .close(.refusalTimedOut))
    }

    @Test func upstreamAnswerReleasesHeldInputWhichMovesBeforeMoreIsRead() {
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(60))
        // An upgrade request went out; what followed it is held until the upstream answers.
        let holding = RewriterStatus(holdsInput: true, waitsForUpstream: true)
        #expect(machine.rewriterAdvanced(holding) == .wait)
        #expect(machine.clientInterest == [])
        #expect(machine.upstreamReady(.read) == .readUpstream)
        #expect(machine.upstreamRead(.done(40), filledBuffer: true) == .observeResponse(count: 40))
        let released = RewriterStatus(holdsInput: true)
        #expect(machine.responseObserved(releasedInput: true, released) == .write(.scratch(40), to: .client))
        #expect(machine.wrote(.complete) == .resumeRewriter)
        #expect(
            machine.rewriterResumed(moved: true, RewriterStatus(hasOutput: true))
                == .write(.rewriterOutput, to: .upstream))
        #expect(machine.wrote(.complete, rewriter: RewriterStatus()) == .readClient(onlyIfBuffered: false))
        #expect(machine.clientRead(.wantRead) == .readUpstream, "then the upstream → client loop goes on")
        #expect(machine.upstreamRead(.wouldBlock, filledBuffer: false) == .wait)
        #expect(machine.clientInterest == .read)
    }

    @Test func resumeThatMovesNothingIsNotRetried() {
        var machine = ConnectionStateMachine.proxying(forwardHeaders: true)
        _ = machine.clientReady(.read)
        _ = machine.clientRead(.done(60))
        #expect(machine.rewriterAdvanced(RewriterStatus(holdsInput: true)) == .resumeRewriter)
        #expect(machine.rewriterResumed(moved: false, RewriterStatus(holdsInput: true)) == .wait)
    }
}
