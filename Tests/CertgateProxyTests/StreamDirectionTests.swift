import Testing

@testable import CertgateProxy

@Suite("One direction of a proxied connection")
struct StreamDirectionTests {
    @Test func freshDirectionReadsAndIsNotFinished() {
        let direction = StreamDirection()
        #expect(direction.canRead)
        #expect(!direction.needsSinkClose)
        #expect(!direction.isFinished)
    }

    @Test func parkedBytesStopReadingUntilFullyConsumed() {
        let pool = BufferPool(bufferSize: 64, maximumFree: 4)
        var direction = StreamDirection()
        let source: [UInt8] = Array(0..<10)
        source.withUnsafeBytes { raw in
            direction.park(PendingBytes(copying: raw.baseAddress!, count: 10, into: pool.take()))
        }
        #expect(!direction.canRead)
        #expect(direction.pending?.count == 10)
        #expect(direction.consumePending(4) == nil)
        #expect(direction.pending?.count == 6)
        #expect(
            direction.pending.map { Array(UnsafeRawBufferPointer(start: $0.bytes, count: $0.count)) } == Array(4..<10))
        let buffer = direction.consumePending(6)
        #expect(buffer != nil)
        #expect(direction.canRead)
        pool.give(buffer!)
        #expect(pool.outstanding == 0)
    }

    @Test func endOfSourceWaitsForPendingBytesBeforeClosingTheSink() {
        let pool = BufferPool(bufferSize: 16, maximumFree: 1)
        var direction = StreamDirection()
        let bytes: [UInt8] = [1, 2, 3]
        bytes.withUnsafeBytes { raw in
            direction.park(PendingBytes(copying: raw.baseAddress!, count: 3, into: pool.take()))
        }
        direction.markSourceEnded()
        #expect(!direction.canRead)
        #expect(!direction.needsSinkClose, "pending bytes must go out before the half-close")
        pool.give(direction.consumePending(3)!)
        #expect(direction.needsSinkClose)
        direction.markSinkClosed()
        #expect(direction.isFinished)
        #expect(!direction.needsSinkClose)
    }

    @Test func discardReturnsTheParkedBuffer() {
        let pool = BufferPool(bufferSize: 16, maximumFree: 1)
        var direction = StreamDirection()
        let bytes: [UInt8] = [9]
        bytes.withUnsafeBytes { raw in
            direction.park(PendingBytes(copying: raw.baseAddress!, count: 1, into: pool.take()))
        }
        let buffer = direction.discardPending()
        #expect(buffer != nil)
        #expect(direction.pending == nil)
        #expect(direction.discardPending() == nil)
        pool.give(buffer!)
    }
}

@Suite("Per-worker buffer pool")
struct BufferPoolTests {
    @Test func buffersAreReusedAndTheFreeListIsBounded() {
        let pool = BufferPool(bufferSize: 32, maximumFree: 2)
        let a = pool.take()
        let b = pool.take()
        let c = pool.take()
        #expect(pool.outstanding == 3)
        pool.give(a)
        pool.give(b)
        pool.give(c)
        #expect(pool.freeCount == 2, "the third buffer goes back to the allocator")
        #expect(pool.outstanding == 0)
        let reused = pool.take()
        #expect(reused == b || reused == a)
        pool.give(reused)
    }
}
