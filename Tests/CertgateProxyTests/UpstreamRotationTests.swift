import CertgatePosix
import Glibc
import Testing

@testable import CertgateProxy

/// Round robin over the upstream addresses, failover to the next on a failed connect (each address at
/// most once per client connection), and the resolution state that keeps the last good list.
@Suite("Upstream rotation and resolution")
struct UpstreamRotationTests {
    private func all(_ rotation: UpstreamRotation) -> [Int] {
        var rotation = rotation
        var order: [Int] = []
        while let index = rotation.next() { order.append(index) }
        return order
    }

    @Test func successiveConnectionsStartOneAddressFurther() {
        #expect((0..<4).map { UpstreamRotation(count: 3, cursor: $0).start } == [0, 1, 2, 0])
    }

    @Test func failoverTriesEveryAddressOnceFromTheStart() {
        #expect(all(UpstreamRotation(count: 3, cursor: 1)) == [1, 2, 0])
        #expect(all(UpstreamRotation(count: 3, cursor: 5)) == [2, 0, 1])
        #expect(all(UpstreamRotation(count: 1, cursor: 7)) == [0])
    }

    @Test func oddCursorsAndCountsStayInRange() {
        #expect(all(UpstreamRotation(count: 2, cursor: -3)) == [1, 0])
        #expect(all(UpstreamRotation(count: 0, cursor: 4)) == [0], "an empty list still means one address")
        var rotation = UpstreamRotation(count: 2, cursor: 0)
        #expect(rotation.remaining == 2)
        _ = rotation.next()
        #expect(rotation.remaining == 1)
    }

    @Test func aFailedConnectMovesOnWhileAddressesRemain() {
        var machine = ConnectionStateMachine.connecting(upstreamAddresses: 3)
        #expect(machine.connectStarted(.failed(ECONNREFUSED)) == .report(.upstreamConnectFailed(ECONNREFUSED)))
        #expect(machine.next() == .connect, "the second address")
        #expect(machine.connectStarted(.inProgress(9)) == .wait)
        #expect(machine.connectChecked(EHOSTUNREACH) == .report(.upstreamConnectFailed(EHOSTUNREACH)))
        #expect(machine.next() == .connect, "the third address")
        #expect(machine.connectStarted(.inProgress(9)) == .wait)
        #expect(machine.timerFired() == .report(.upstreamConnectTimedOut))
        #expect(machine.next() == .sendCloseNotify, "every address tried once: the client gets its goodbye")
        #expect(machine.closeNotifySent(.done(0)) == .close(.upstreamUnavailable))
    }

    @Test func aLaterAddressThatAnswersIsProxiedTo() {
        var machine = ConnectionStateMachine.connecting(upstreamAddresses: 2)
        #expect(machine.connectStarted(.failed(ECONNREFUSED)) == .report(.upstreamConnectFailed(ECONNREFUSED)))
        #expect(machine.next() == .connect)
        #expect(machine.connectStarted(.connected(9)) == .report(.upstreamConnected))
        #expect(machine.phase == .proxying)
    }

    private func addresses(_ ports: [UInt16]) throws -> [ResolvedAddress] {
        try ports.map { try ResolvedAddress.resolve(host: "127.0.0.1", port: $0)[0] }
    }

    @Test func resolutionKeepsTheLastGoodListAndLogsChangesOnly() throws {
        var state = UpstreamResolutionState(addresses: try addresses([1]))
        let same = state.record(.success(try addresses([1])))
        #expect(same == .init(publish: nil, log: nil, result: "success"))

        let failure = ResolveError(host: "svc", message: "Name or service not known")
        #expect(
            state.record(.failure(failure)) == .init(publish: nil, log: .failing(failure.message), result: "failure"))
        #expect(state.record(.failure(failure)) == .init(publish: nil, log: nil, result: "failure"), "logged once")
        #expect(state.addresses == (try addresses([1])), "the last good list stays")
        #expect(state.record(.success([])).log == .failing("no addresses"))

        let moved = try addresses([2, 3])
        #expect(state.record(.success(moved)) == .init(publish: moved, log: .recovered, result: "success"))
        #expect(state.failure == nil)
        let again = try addresses([3])
        #expect(state.record(.success(again)) == .init(publish: again, log: .changed, result: "success"))
        #expect(state.addresses == again)
    }
}
