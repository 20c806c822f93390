import CertgateTLS
import Testing

@Suite("Client certificate allow-lists")
struct ClientAllowListTests {
    @Test func emptyListsAllowEveryVerifiedCertificate() {
        #expect(ClientAllowList().permits(commonName: nil, dnsNames: [], uris: []))
    }

    @Test func commonNamesAreExactAndCaseInsensitive() {
        let list = ClientAllowList(commonNames: ["billing.internal"])
        #expect(list.permits(commonName: "Billing.Internal", dnsNames: [], uris: []))
        #expect(!list.permits(commonName: "billing.internal.evil", dnsNames: [], uris: []))
        #expect(!list.permits(commonName: nil, dnsNames: ["billing.internal"], uris: []), "a DNS name is not a CN")
    }

    @Test func aStarIsExactlyOneDNSLabel() {
        let list = ClientAllowList(dnsNames: ["*.clients.example.com"])
        #expect(list.permits(commonName: nil, dnsNames: ["a.clients.example.com"], uris: []))
        #expect(!list.permits(commonName: nil, dnsNames: ["b.a.clients.example.com"], uris: []))
        #expect(!list.permits(commonName: nil, dnsNames: ["clients.example.com"], uris: []))
        #expect(
            !list.permits(commonName: nil, dnsNames: [".clients.example.com"], uris: []),
            "an empty label is not a label")
        #expect(list.permits(commonName: nil, dnsNames: ["other.test", "x.clients.example.com"], uris: []))
    }

    @Test func aStarIsExactlyOneURIPathSegment() {
        let list = ClientAllowList(uris: ["spiffe://prod/ns/*/sa/web"])
        #expect(list.permits(commonName: nil, dnsNames: [], uris: ["spiffe://prod/ns/pay/sa/web"]))
        #expect(!list.permits(commonName: nil, dnsNames: [], uris: ["spiffe://prod/ns/pay/x/sa/web"]))
        #expect(!list.permits(commonName: nil, dnsNames: [], uris: ["spiffe://prod/ns//sa/web"]))
        #expect(!list.permits(commonName: nil, dnsNames: [], uris: ["SPIFFE://prod/ns/pay/sa/web"]), "URIs are exact")
    }

    @Test func listsAreOred() {
        let list = ClientAllowList(commonNames: ["a"], dnsNames: ["b.test"], uris: ["urn:c"])
        #expect(list.permits(commonName: "x", dnsNames: ["b.test"], uris: []))
        #expect(list.permits(commonName: "x", dnsNames: [], uris: ["urn:c"]))
        #expect(!list.permits(commonName: "x", dnsNames: ["y.test"], uris: ["urn:d"]))
    }
}
