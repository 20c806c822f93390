import LibEV
import Testing

@testable import CertgateProxy

/// `count` bytes parked in a buffer taken from `pool`, as the connection's write path parks them.
func parked(_ count: Int, from pool: BufferPool) -> PendingBytes {
    let bytes = [UInt8](repeating: 0x2a, count: count)
    return bytes.withUnsafeBytes { PendingBytes(copying: $0.baseAddress!, count: count, into: pool.take()) }
}

/// What a sink that took nothing and waits to be writable again answers for fresh bytes.
func blocked(parking bytes: PendingBytes, written: Int = 0, waitsFor: IOEvents = .write) -> WriteOutcome {
    .blocked(written: written, parked: bytes, waitsFor: waitsFor)
}

extension ConnectionStateMachine {
    /// A machine driven through a successful handshake, that has just asked for the upstream connect.
    static func connecting(
        forwardHeaders: Bool = false, proxyHeader: Bool = false, idleTimeout: Duration? = nil,
        upstreamAddresses: Int = 1
    ) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(
            forwardsHeaders: forwardHeaders, sendsProxyHeader: proxyHeader, idleTimeout: idleTimeout,
            upstreamAddresses: upstreamAddresses)
        #expect(machine.start() == .wait)
        #expect(machine.clientReady(.read) == .handshake)
        #expect(machine.handshakeStepped(.done(0)) == .report(.handshakeSucceeded))
        #expect(machine.next() == .connect)
        return machine
    }

    /// A machine driven through the handshake and an immediate upstream connect, waiting for data.
    static func proxying(forwardHeaders: Bool = false, idleTimeout: Duration? = nil) -> ConnectionStateMachine {
        var machine = connecting(forwardHeaders: forwardHeaders, idleTimeout: idleTimeout)
        #expect(machine.connectStarted(.connected(9)) == .report(.upstreamConnected))
        if forwardHeaders {
            #expect(machine.next() == .startRewriting)
        }
        // Client bytes OpenSSL may already hold go first; then readiness drives.
        #expect(machine.next() == .readClient(onlyIfBuffered: true))
        #expect(machine.nothingBuffered() == .wait)
        #expect(machine.phase == .proxying)
        return machine
    }
}
