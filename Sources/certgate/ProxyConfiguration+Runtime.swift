import CertgateConfig
import CertgateReload
import CertgatePosix
import CertgateTLS

extension ProxyConfiguration {
    var tlsSettings: TLSSettings {
        TLSSettings(
            minimumVersion: minimumTLSVersion == .v1_3 ? .tls13 : .tls12,
            ciphers: ciphers,
            ciphersuites: ciphersuites,
            alpn: alpn
        )
    }

    /// The upstream's first address (resolved once; connects never hit DNS).
    func resolveUpstream() throws -> ResolvedAddress {
        do {
            return try ResolvedAddress.resolve(host: upstream.host, port: upstream.port)[0]
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
    /// What the certificate store needs from the configuration.
    var certificateStoreOptions: CertificateStoreOptions {
        CertificateStoreOptions(directories: certificateDirectories, pairs: certificatePairs,
                                defaultName: defaultCertificate, allowExpired: allowExpired)
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
    /// The client-CA pool settings, `nil` when no client certificate is asked for.
    var clientCAOptions: ClientCAStore.Options? {
        guard let clientCA, clientAuth != .none else { return nil }
        return ClientCAStore.Options(path: clientCA, verification: clientAuth == .require ? .require : .optional,
                                     depth: verifyDepth, rootsLimit: rootsLimit, rootsMaxAge: rootsMaxAge,
                                     allowList: ClientAllowList(commonNames: allowCN, dnsNames: allowDNS, uris: allowURI),
                                     crlPath: clientCRL)
    }
}

extension ProxyConfiguration {
    /// Settings that parse but are not served yet: refused at start-up rather than silently ignored
    /// (a user who sets an allow-list must never get a proxy that does not enforce it).
    func rejectUnimplemented() throws {
        var unsupported: [String] = []
        if !perCertificate.isEmpty {
            // Parsed and validated, but the SNI callback does not switch trust per name yet: serving the
            // global policy instead would silently ignore a stricter per-name one.
            unsupported.append("per-certificate (config file: \(perCertificate.map(\.name).joined(separator: ", ")))")
        }
        guard !unsupported.isEmpty else { return }
        throw StartupFailure("\(unsupported.joined(separator: ", ")): not supported yet in this version")
    }
}
