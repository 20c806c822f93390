import CertgateHTTP
import CertgateIdentity
import CertgateTLS

/// The client's address and the address it connected to, and what certgate tells the upstream about the
/// client with them: the PROXY protocol header (`--proxy-protocol`) and the X-Forwarded-* fields
/// (`--forward-headers`).
///
/// Looked up once per connection (`getpeername`, `getsockname`), when the first of the two needs them.
struct ClientEndpoints {
    let peer: ProxiedEndpoint?
    let local: ProxiedEndpoint?

    init(clientFD: Int32) {
        peer = .peer(of: clientFD)
        local = .local(of: clientFD)
    }

    /// The PROXY header for this client, first on the upstream connection; empty when an address is
    /// unknown (nothing is sent then).
    func proxyHeader(_ version: ProxyProtocolVersion, tls: TLSConnection) -> [UInt8] {
        guard let source = peer, let destination = local else { return [] }
        let presented = tls.clientCertificatePresented
        let verified = tls.hasVerifiedClientCertificate
        let ssl = ProxyProtocolSSLInfo(
            client: presented ? [.ssl, .certificateOnConnection] : [.ssl],
            verify: verified ? 0 : 1,
            version: tls.protocolVersion,
            commonName: verified ? tls.clientCertificateCommonName : nil,
            cipher: tls.cipherName
        )
        return ProxyProtocolHeader(
            source: source, destination: destination, alpn: tls.selectedALPN,
            authority: tls.serverName, ssl: ssl
        )
        .encode(version)
    }

    /// The fields `--forward-headers` adds to every request of this client.
    func forwardedHeaders(tls: TLSConnection) -> ForwardedHeaders {
        let certificate = tls.verifiedClientCertificate.map {
            ClientCertificateDetails(
                sha256: $0.sha256Fingerprint, subject: $0.subject, uris: $0.uriNames,
                dnsNames: $0.dnsNames)
        }
        return ForwardedHeaders(
            clientAddress: peer.map { Self.addressText($0.address) } ?? "unknown",
            port: Int(local?.port ?? 0),
            clientCertificate: certificate
        )
    }

    /// IPv4 clients of a dual-stack listener appear as `::ffff:a.b.c.d`; upstreams expect `a.b.c.d`.
    static func addressText(_ address: ProxiedEndpoint.Address) -> String {
        let text = address.text
        return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
    }
}
