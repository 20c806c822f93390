import CertgateConfig
import CertgateIdentity
import CertgatePosix
import CertgateProxy
import CertgateReload
import CertgateTLS

extension ProxyConfiguration {
    var tlsSettings: TLSSettings {
        TLSSettings(
            minimumVersion: minimumTLSVersion == .v1_3 ? .tls13 : .tls12,
            ciphers: ciphers,
            ciphersuites: ciphersuites,
            groups: groups,
            alpn: alpn,
            strictSNI: strictSNI,
            tickets: tickets,
            ticketLifetime: ticketLifetime
        )
    }

    /// Every address of the upstream, in resolver order (connects never hit DNS; `UpstreamResolver`
    /// refreshes the list off the workers).
    func resolveUpstream() throws -> [ResolvedAddress] {
        do {
            return try ResolvedAddress.resolve(host: upstream.host, port: upstream.port)
        } catch {
            throw StartupFailure("--upstream \(upstream): \(error)")
        }
    }

    func resolveListen() throws -> ResolvedAddress {
        do {
            return try ResolvedAddress.resolve(host: listen.host, port: listen.port, passive: true)[0]
        } catch {
            throw StartupFailure("--listen \(listen): \(error)")
        }
    }

    func resolveAdmin() throws -> ResolvedAddress? {
        guard let admin else { return nil }
        do {
            return try ResolvedAddress.resolve(host: admin.host, port: admin.port, passive: true)[0]
        } catch {
            throw StartupFailure("--admin \(admin): \(error)")
        }
    }
}

extension ProxyConfiguration {
    /// What every worker needs for the connections it accepts (from now on, after a configuration reload).
    func proxySettings(upstream: [ResolvedAddress], context: TLSServerContext) -> ProxySettings {
        var settings = ProxySettings(
            upstream: upstream[0], connectTimeout: connectTimeout,
            handshakeTimeout: handshakeTimeout, context: context)
        settings.upstreamAddresses = upstream
        settings.proxyProtocol = ProxyProtocolVersion(rawValue: proxyProtocol.rawValue) ?? .off
        settings.forwardHeaders = forwardHeaders
        settings.idleTimeout = idleTimeout
        settings.tcpKeepalive = tcpKeepalive
        settings.terminatesHTTP2 = alpn.contains("h2") && upstreamProtocol == .http1
        return settings
    }
}

extension ProxyConfiguration {
    /// What the certificate store needs from the configuration.
    var certificateStoreOptions: CertificateStoreOptions {
        CertificateStoreOptions(
            directories: certificateDirectories, pairs: certificatePairs,
            defaultName: defaultCertificate, allowExpired: allowExpired, ocspDirectory: ocspDirectory)
    }

    /// `--watch`, `--stat-interval` and `--reload-interval` as the reload controller takes them.
    var reloadSettings: ReloadController.Settings {
        ReloadController.Settings(
            inotify: watchMode == .auto || watchMode == .inotify,
            statInterval: (watchMode == .auto || watchMode == .stat) ? statInterval : nil,
            reloadInterval: reloadInterval,
            expiryWarning: expiryWarning == .zero ? nil : expiryWarning
        )
    }
}

extension ProxyConfiguration {
    /// The global client-certificate policy (`--client-ca`, `--client-auth`, ...).
    var globalClientPolicy: ClientPolicy {
        ClientPolicy(
            verification: Self.verification(clientAuth, clientCA), caPath: clientCA, crlPath: clientCRL,
            depth: verifyDepth,
            allowList: ClientAllowList(commonNames: allowCN, dnsNames: allowDNS, uris: allowURI))
    }

    /// The `per-certificate:` policies (already resolved against the global settings).
    var perCertificateClientPolicies: [(name: String, policy: ClientPolicy)] {
        perCertificate.map { entry in
            (
                entry.name,
                ClientPolicy(
                    verification: Self.verification(entry.clientAuth, entry.clientCA),
                    caPath: entry.clientCA, crlPath: entry.clientCRL, depth: entry.verifyDepth,
                    allowList: ClientAllowList(
                        commonNames: entry.allowCN, dnsNames: entry.allowDNS,
                        uris: entry.allowURI))
            )
        }
    }

    private static func verification(_ mode: ClientAuthMode, _ caPath: String?) -> ClientVerification? {
        guard caPath != nil else { return nil }
        switch mode {
        case .none: return nil
        case .optional: return .optional
        case .require: return .require
        }
    }

    /// Every client policy with its root pools loaded; `nil` when no policy asks for client certificates.
    /// `previous`: the policies served so far, whose pools carry over (a configuration reload).
    func clientTrustPolicies(previous: ClientTrustPolicies? = nil) throws(ClientTrustPolicies.SetupError)
        -> ClientTrustPolicies?
    {
        let global = globalClientPolicy
        let named = perCertificateClientPolicies
        guard global.asksForCertificates || named.contains(where: { $0.policy.asksForCertificates }) else {
            return nil
        }
        return try ClientTrustPolicies(
            global: global, perCertificate: named, rootsLimit: rootsLimit,
            rootsMaxAge: rootsMaxAge, previous: previous)
    }
}
