import Testing

@testable import CertgateCertificates

@Suite("SNI matching rules")
struct ServerNameTableTests {
    private func table(_ entries: [(String, [String])]) -> ServerNameTable<String> {
        var table = ServerNameTable<String>()
        for (label, names) in entries {
            table.add(names: names, value: label, label: label)
        }
        return table
    }

    @Test func exactNameMatches() {
        let t = table([("api", ["api.example.com"])])
        #expect(t.lookup("api.example.com") == "api")
        #expect(t.lookup("www.example.com") == nil)
    }

    @Test func matchingIsCaseInsensitive() {
        let t = table([("api", ["API.Example.com"]), ("wild", ["*.Example.ORG"])])
        #expect(t.lookup("api.example.com") == "api")
        #expect(t.lookup("API.EXAMPLE.COM") == "api")
        #expect(t.lookup("X.EXAMPLE.org") == "wild")
    }

    @Test func wildcardMatchesExactlyOneLabel() {
        let t = table([("wild", ["*.example.com"])])
        #expect(t.lookup("a.example.com") == "wild")
        #expect(t.lookup("b.a.example.com") == nil)
        #expect(t.lookup("example.com") == nil)
        #expect(t.lookup(".example.com") == nil)
    }

    @Test func exactBeatsWildcardWhateverTheOrder() {
        let wildcardFirst = table([("wild", ["*.example.com"]), ("exact", ["exact.example.com"])])
        let exactFirst = table([("exact", ["exact.example.com"]), ("wild", ["*.example.com"])])
        for t in [wildcardFirst, exactFirst] {
            #expect(t.lookup("exact.example.com") == "exact")
            #expect(t.lookup("other.example.com") == "wild")
        }
    }

    @Test func trailingDotIsIgnored() {
        let t = table([("api", ["api.example.com"])])
        #expect(t.lookup("api.example.com.") == "api")
    }

    @Test func firstClaimantKeepsADuplicatedNameAndTheLoserIsReported() {
        let t = table([("a", ["same.example.com"]), ("b", ["same.example.com"])])
        #expect(t.lookup("same.example.com") == "a")
        #expect(t.conflicts.count == 1)
        #expect(t.conflicts.first?.ignored == "b")
    }

    @Test func aMergeCombinesADuplicatedNameInsteadOfAConflict() {
        // Merges only values of different kinds ("e…" with "r…"), the way ECDSA and RSA certificates pair.
        func merge(_ existing: String, _ new: String) -> String? {
            existing.count == 1 && existing.first != new.first ? existing + new : nil
        }
        var t = ServerNameTable<String>()
        t.add(names: ["same.example.com", "*.example.com", "e.only"], value: "e", label: "ecdsa", merge: merge)
        t.add(names: ["same.example.com", "*.example.com", "r.only"], value: "r", label: "rsa", merge: merge)
        t.add(names: ["same.example.com"], value: "r", label: "rsa2", merge: merge)
        t.add(names: ["e.only"], value: "e", label: "ecdsa2", merge: merge)
        #expect(t.lookup("same.example.com") == "er")
        #expect(t.lookup("x.example.com") == "er")
        #expect(t.lookup("e.only") == "e")
        #expect(t.lookup("r.only") == "r")
        #expect(t.merged.map(\.name) == ["same.example.com", "*.example.com"])
        #expect(t.merged.allSatisfy { $0.label == "rsa" })
        // A third claimant, or a second one of the same kind, is a conflict as without a merge.
        #expect(t.conflicts.map(\.ignored) == ["rsa2", "ecdsa2"])
    }

    @Test func unusableNamesAreRejectedNotIndexed() {
        var t = ServerNameTable<String>()
        let rejected = t.add(names: ["", "*", "a.*.example.com", "*.", "ok.example.com"], value: "x", label: "x")
        #expect(rejected == ["", "*", "a.*.example.com", "*."])
        #expect(t.lookup("ok.example.com") == "x")
        #expect(t.lookup("a.b.example.com") == nil)
    }

    @Test func emptyQueryMatchesNothing() {
        let t = table([("api", ["api.example.com"])])
        #expect(t.lookup("") == nil)
        #expect(t.lookup(".") == nil)
    }
}
