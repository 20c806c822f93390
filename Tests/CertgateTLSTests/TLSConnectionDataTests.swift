import COpenSSL
import CertgateTLS
import Testing

/// What a connection does after its handshake (application data both ways, close_notify, the negotiated
/// parameters) and what the server context accepts as policy.
@Suite("TLS connection data and server context")
struct TLSConnectionDataTests {
    private func connected(
        _ settings: TLSSettings = TLSSettings(),
        _ configure: (inout TLSTestClient.Options) -> Void = { _ in }
    )
        throws -> (pair: TLSPair, client: TLSTestClient)
    {
        let fixture = try TLSFixture.get()
        var options = TLSTestClient.Options()
        options.serverName = "exact.example.com"
        configure(&options)
        let context = try TLSServerContext(settings: settings)
        let (pair, client, outcome) = try TLSPair.connect(context, fixture.snapshot(), options)
        try #require(outcome.succeeded, "\(outcome)")
        return (pair, client)
    }

    @Test func bytesFlowBothWaysAndCloseNotifyEndsTheStream() throws {
        let (pair, client) = try connected()
        #expect(pair.server.isTLS13)
        #expect(pair.server.protocolVersion == "TLSv1.3")
        #expect(pair.server.cipherName == "TLS_AES_128_GCM_SHA256", "server preference: AES-128-GCM first")

        let request = Array("GET / HTTP/1.1\r\nHost: exact.example.com\r\n\r\n".utf8)
        #expect(client.write(request))
        let received = pair.serverRead()
        #expect(received.bytes == request)
        #expect(received.last == .wantRead)
        #expect(!pair.server.hasBufferedData)

        let response = [UInt8](repeating: 0x61, count: 20000) // more than one TLS record
        var sent = 0
        while sent < response.count {
            let result = response[sent...].withUnsafeBytes { pair.server.write(from: $0.baseAddress!, count: $0.count) }
            guard case .done(let count) = result else {
                Issue.record("write: \(result)")
                return
            }
            sent += count
        }
        #expect(client.readAvailable() == response)

        #expect(pair.server.sendCloseNotify() == .done(0))
        _ = client.readAvailable()
        #expect(client.receivedCloseNotify)
        client.sendCloseNotify()
        #expect(pair.serverRead().last == .closed)
    }

    @Test func aSmallReadLeavesTheRestBufferedInsideOpenSSL() throws {
        let (pair, client) = try connected()
        #expect(client.write(Array("0123456789".utf8)))
        var four = [UInt8](repeating: 0, count: 4)
        let first = four.withUnsafeMutableBytes { pair.server.read(into: $0.baseAddress!, count: 4) }
        #expect(first == .done(4))
        #expect(four == Array("0123".utf8))
        #expect(pair.server.hasBufferedData, "the rest of the record waits inside OpenSSL, not on the socket")
        #expect(pair.serverRead().bytes == Array("456789".utf8))
        #expect(!pair.server.hasBufferedData)
    }

    @Test func tls12IsNegotiatedWithAForwardSecretAEADCipher() throws {
        let (pair, _) = try connected { $0.maximumVersion = TLS1_2_VERSION }
        #expect(!pair.server.isTLS13)
        #expect(pair.server.protocolVersion == "TLSv1.2")
        #expect(pair.server.cipherName == "ECDHE-ECDSA-AES128-GCM-SHA256")
    }

    @Test func alpnFollowsTheServersPreference() throws {
        let settings = TLSSettings(alpn: ["h2", "http/1.1"])
        let both = try connected(settings) { $0.alpn = ["http/1.1", "h2"] }
        #expect(both.pair.server.selectedALPN == Array("h2".utf8))
        let old = try connected(settings) { $0.alpn = ["http/1.1"] }
        #expect(old.pair.server.selectedALPN == Array("http/1.1".utf8))
        // Nothing in common: the handshake goes on without ALPN.
        let other = try connected(settings) { $0.alpn = ["spdy/3"] }
        #expect(other.pair.server.selectedALPN == nil)
        // A server without ALPN answers none.
        let none = try connected { $0.alpn = ["h2"] }
        #expect(none.pair.server.selectedALPN == nil)
    }

    @Test func aContextRefusesCipherPoliciesOpenSSLCannotUse() {
        #expect {
            _ = try TLSServerContext(settings: TLSSettings(ciphers: "NO-SUCH-CIPHER"))
        } throws: { error in
            guard case TLSConfigurationError.invalidCiphers(let list, _) = error else { return false }
            return list == "NO-SUCH-CIPHER"
        }
        #expect {
            _ = try TLSServerContext(settings: TLSSettings(ciphersuites: "TLS_NO_SUCH_SUITE"))
        } throws: { error in
            guard case TLSConfigurationError.invalidCiphersuites(let list, _) = error else { return false }
            return list == "TLS_NO_SUCH_SUITE"
        }
        #expect(TLSServerContext.libraryVersion.hasPrefix("OpenSSL 3."))
    }

    @Test func aContextRefusesAnUnknownGroupAndNamesIt() throws {
        _ = try TLSServerContext(settings: TLSSettings(groups: "P-384"))
        _ = try TLSServerContext(settings: TLSSettings(groups: TLSSettings.defaultGroups))
        #expect {
            _ = try TLSServerContext(settings: TLSSettings(groups: "X25519:P-999:P-256"))
        } throws: { error in
            guard case TLSConfigurationError.invalidGroups(let list, let unknown, _) = error else { return false }
            let text = String(describing: error)
            return list == "X25519:P-999:P-256" && unknown == "P-999"
                && text.hasPrefix("--groups: OpenSSL does not know the key-exchange group 'P-999'")
                && !text.contains("\n")
        }
    }
}
