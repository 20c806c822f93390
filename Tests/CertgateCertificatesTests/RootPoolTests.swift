import Testing

@testable import CertgateCertificates

@Suite("Rotating client-CA root pool")
struct RootPoolTests {
    typealias Pool = RootPool<String>

    /// A CA named `name`, fingerprinted by its name's bytes.
    private func ca(_ name: String) -> Pool.Member {
        Pool.Member(root: name, fingerprint: Array(name.utf8))
    }

    private func names(_ pool: Pool) -> [String] { pool.trusted.map(\.root).sorted() }

    @Test func rotationKeepsThePreviousGenerationUntilItIsEvicted() {
        var pool = Pool(limit: 2)
        guard case .added(let none) = pool.admit([ca("A")], now: 0) else {
            Issue.record("A must enter")
            return
        }
        #expect(none.isEmpty)
        _ = pool.admit([ca("B")], now: 10)
        #expect(names(pool) == ["A", "B"], "clients of A keep working after the rotation to B")
        guard case .added(let evicted) = pool.admit([ca("C")], now: 20) else {
            Issue.record("C must enter")
            return
        }
        #expect(evicted.map { $0.members.map(\.root) } == [["A"]])
        #expect(names(pool) == ["B", "C"])
        #expect(pool.current?.members.map(\.root) == ["C"])
        #expect(pool.generations.first?.supersededAt == 20)
    }

    @Test func resizingKeepsTheGenerationsThatFitAndTheCurrentOne() {
        var pool = Pool(limit: 3)
        _ = pool.admit([ca("A")], now: 0)
        _ = pool.admit([ca("B")], now: 100)
        _ = pool.admit([ca("C")], now: 200)
        let same = pool.resized(limit: 3, maxAge: nil, now: 300)
        #expect(names(same.pool) == ["A", "B", "C"] && same.evicted.isEmpty)
        let smaller = pool.resized(limit: 2, maxAge: nil, now: 300)
        #expect(names(smaller.pool) == ["B", "C"])
        #expect(smaller.evicted.map { $0.members.map(\.root) } == [["A"]])
        // A new maximum age retires what was superseded long enough ago (B at 200: 100 s), never C.
        let aged = pool.resized(limit: 3, maxAge: 50, now: 300)
        #expect(names(aged.pool) == ["C"])
        #expect(aged.pool.limit == 3 && aged.pool.maxAge == 50)
        let one = pool.resized(limit: 1, maxAge: nil, now: 300)
        #expect(one.pool.current?.members.map(\.root) == ["C"])
    }

    @Test func anUnchangedReloadUsesNoSlot() {
        var pool = Pool(limit: 2)
        _ = pool.admit([ca("A")], now: 0)
        _ = pool.admit([ca("B")], now: 1)
        // Same CAs in another order and with a duplicate: the same generation.
        guard case .unchanged = pool.admit([ca("B"), ca("B")], now: 2) else {
            Issue.record("must be unchanged")
            return
        }
        #expect(names(pool) == ["A", "B"], "a SIGHUP must not evict the previous CA")
        #expect(pool.generations.count == 2)
    }

    @Test func bundleOrderAndDuplicatesDoNotMatter() {
        #expect(Pool.generationID(of: [ca("A"), ca("B")]) == Pool.generationID(of: [ca("B"), ca("A"), ca("A")]))
        #expect(Pool.generationID(of: [ca("A")]) != Pool.generationID(of: [ca("A"), ca("B")]))
    }

    @Test func multiCertificateBundlesStayWholeAndTheUnionIsDeduplicated() {
        var pool = Pool(limit: 2)
        _ = pool.admit([ca("root1"), ca("root2")], now: 0)
        _ = pool.admit([ca("root2"), ca("root3")], now: 5)
        #expect(names(pool) == ["root1", "root2", "root3"])
        #expect(pool.trusted.count == 3)
        _ = pool.admit([ca("root4")], now: 9)
        // Whole generations go: root2 stays because the retained generation still holds it.
        #expect(names(pool) == ["root2", "root3", "root4"])
    }

    @Test func rotatingBackMovesTheGenerationInsteadOfDuplicatingIt() {
        var pool = Pool(limit: 3)
        _ = pool.admit([ca("A")], now: 0)
        _ = pool.admit([ca("B")], now: 1)
        _ = pool.admit([ca("A")], now: 2)
        #expect(pool.generations.map { $0.members[0].root } == ["B", "A"])
        #expect(pool.current?.loadedAt == 2)
    }

    @Test func limitOneTrustsOnlyTheCurrentBundle() {
        var pool = Pool(limit: 1)
        _ = pool.admit([ca("A")], now: 0)
        _ = pool.admit([ca("B")], now: 1)
        #expect(names(pool) == ["B"])
    }

    @Test func previousGenerationsRetireAfterMaxAgeButNeverTheCurrentOne() {
        var pool = Pool(limit: 3, maxAge: 60)
        _ = pool.admit([ca("A")], now: 0)
        #expect(pool.retireAged(now: 10_000).isEmpty, "the current generation never retires")
        _ = pool.admit([ca("B")], now: 100)
        #expect(pool.nextRetirement == 161)
        #expect(pool.retireAged(now: 160).isEmpty)
        #expect(pool.retireAged(now: 161).map { $0.members[0].root } == ["A"])
        #expect(names(pool) == ["B"])
        #expect(pool.nextRetirement == nil)
    }
}
