import CertgateTLS

/// One effective client-certificate policy as the reload side serves it: the global one (`--client-ca`,
/// `--client-auth`, ...) or a `per-certificate:` entry after inheritance. Pure value.
public struct ClientPolicy: Sendable, Equatable {
    /// `nil`: no client certificate is asked for (`client-auth: none`).
    public var verification: ClientVerification?
    /// The CA file; the root pool is shared by every policy naming the same file.
    public var caPath: String?
    public var crlPath: String?
    public var depth: Int
    public var allowList: ClientAllowList

    public init(
        verification: ClientVerification?, caPath: String?, crlPath: String?, depth: Int,
        allowList: ClientAllowList = ClientAllowList()
    ) {
        self.verification = verification
        self.caPath = caPath
        self.crlPath = crlPath
        self.depth = depth
        self.allowList = allowList
    }

    /// Whether the policy asks for a client certificate (it then has a CA file).
    public var asksForCertificates: Bool { verification != nil && caPath != nil }

    /// Everything that makes two policies accept different clients, as one unambiguous string (each
    /// field length-prefixed): equal policies share a TLS session id context, different ones never do.
    public var identity: String {
        guard asksForCertificates, let verification, let caPath else { return "none" }
        var fields = [verification == .require ? "require" : "optional", caPath, crlPath ?? "-", String(depth)]
        fields.append(contentsOf: ["cn"] + allowList.commonNames)
        fields.append(contentsOf: ["dns"] + allowList.dnsNames)
        fields.append(contentsOf: ["uri"] + allowList.uris)
        return fields.map { "\($0.utf8.count):\($0)" }.joined(separator: ",")
    }
}
