/// Which client-certificate trust each served certificate uses: the `per-certificate:` policies by
/// certificate NAME (as loaded), the global policy for every other certificate. A `nil` trust means no
/// client certificate is asked for (`client-auth: none`), also when the global policy asks for one.
///
/// Immutable and `Sendable` (its trusts are): rebuilt whole when any root pool or CRL changes and
/// published with the certificate snapshot.
public final class ClientTrustTable: Sendable {
    /// The trust of certificates without a `per-certificate:` entry.
    public let global: ClientTrust?
    /// Per certificate name; a present `nil` is an explicit `client-auth: none`.
    private let overrides: [String: ClientTrust?]

    public init(global: ClientTrust? = nil, overrides: [String: ClientTrust?] = [:]) {
        self.global = global
        self.overrides = overrides
    }

    /// The trust of the certificate named `name`.
    public func trust(forCertificate name: String) -> ClientTrust? {
        if let entry = overrides[name] { return entry }
        return global
    }

    /// The certificate names with their own policy.
    public var overriddenNames: [String] { overrides.keys.sorted() }

    /// Whether any policy asks for a client certificate.
    public var asksForClientCertificates: Bool {
        global != nil || overrides.values.contains { $0 != nil }
    }
}
