import Testing

@testable import CertgateTLS

/// The session id context that binds a session to its client policy and server name (pure: no handshake).
@Suite("Session id context: client policy and server name")
struct SessionIDContextTests {
    private let policy = ClientTrust.noClientCertificateSessionContext
    private let otherPolicy = Array(ClientTrust.noClientCertificateSessionContext.reversed())

    private func context(_ policy: [UInt8], _ name: String?) throws -> [UInt8] {
        try #require(SessionIDContext.derive(policy: policy, serverName: name))
    }

    @Test func theSameNameUnderTheSamePolicyGivesTheSameContext() throws {
        let exact = try context(policy, "exact.example.com")
        #expect(exact.count == SessionIDContext.length)
        #expect(try context(policy, "exact.example.com") == exact)
        #expect(try context(policy, "EXACT.Example.com") == exact, "names match without regard to case")
        #expect(try context(policy, "exact.example.com.") == exact, "nor to one trailing dot")
        #expect(try context(policy, nil) == context(policy, nil))
    }

    @Test func anotherNameOrPolicyGivesAnotherContext() throws {
        let exact = try context(policy, "exact.example.com")
        let contexts = [
            exact,
            try context(policy, "x.example.com"),
            try context(policy, "y.example.com"),
            try context(policy, nil),
            try context(policy, ""),
            try context(otherPolicy, "exact.example.com"),
            try context(otherPolicy, nil),
            policy,
        ]
        #expect(Set(contexts).count == contexts.count, "every pair differs")
    }

    @Test func aNameLongerThanAnyValidNameIsRefused() {
        #expect(SessionIDContext.derive(policy: policy, serverName: String(repeating: "a", count: 256)) == nil)
        #expect(SessionIDContext.derive(policy: policy, serverName: String(repeating: "a", count: 255)) != nil)
    }
}
