extension ProxyConfiguration {
    /// The configuration as a config file that certgate accepts and that resolves back to this value.
    ///
    /// Meant for `certgate check` (show the effective settings after merging flags, file and defaults)
    /// and for debugging reports. Strings are always double-quoted so that values such as `1.2`, `on` or
    /// cipher lists with `:` and `!` survive the round trip without YAML reinterpreting them.
    public func renderedAsConfigurationFile() -> String {
        var lines: [String] = []
        func add(_ key: ConfigurationKey, _ value: String) {
            lines.append("\(key.rawValue): \(value)")
        }
        add(.listen, Self.quoted(listen.description))
        add(.upstream, Self.quoted(upstream.description))
        if certificateDirectories.isEmpty {
            add(.certDir, "[]")
        } else {
            lines.append("\(ConfigurationKey.certDir.rawValue):")
            lines += certificateDirectories.map { "  - \(Self.quoted($0))" }
        }
        if certificatePairs.isEmpty {
            add(.certs, "[]")
        } else {
            lines.append("\(ConfigurationKey.certs.rawValue):")
            for pair in certificatePairs {
                lines.append("  - cert: \(Self.quoted(pair.certificatePath))")
                lines.append("    key: \(Self.quoted(pair.keyPath))")
            }
        }
        if let defaultCertificate {
            add(.defaultCert, Self.quoted(defaultCertificate))
        }
        add(.watch, watchMode.rawValue)
        add(.statInterval, DurationSyntax.format(statInterval))
        add(.reloadInterval, reloadInterval.map(DurationSyntax.format) ?? "off")
        add(.allowExpired, String(allowExpired))
        add(.expiryWarning, DurationSyntax.format(expiryWarning))
        add(.workers, String(workers))
        if let admin {
            add(.admin, Self.quoted(admin.description))
        } else {
            lines.append("# admin: off")
        }
        if let adminTokenFile {
            add(.adminTokenFile, Self.quoted(adminTokenFile))
        }
        add(.logFormat, logFormat.rawValue)
        add(.logLevel, logLevel.rawValue)
        add(.minTLS, Self.quoted(minimumTLSVersion.rawValue))
        if let ciphers {
            add(.ciphers, Self.quoted(ciphers))
        }
        if let ciphersuites {
            add(.ciphersuites, Self.quoted(ciphersuites))
        }
        add(.connectTimeout, DurationSyntax.format(connectTimeout))
        add(.handshakeTimeout, DurationSyntax.format(handshakeTimeout))
        add(.drainTimeout, DurationSyntax.format(drainTimeout))
        if let clientCA {
            add(.clientCA, Self.quoted(clientCA))
        }
        add(.clientAuth, clientAuth.rawValue)
        add(.verifyDepth, String(verifyDepth))
        add(.rootsLimit, String(rootsLimit))
        add(.rootsMaxAge, rootsMaxAge.map(DurationSyntax.format) ?? "off")
        if let clientCRL {
            add(.clientCRL, Self.quoted(clientCRL))
        }
        for (key, values) in [(ConfigurationKey.allowCN, allowCN), (.allowDNS, allowDNS), (.allowURI, allowURI)]
        where !values.isEmpty {
            lines.append("\(key.rawValue):")
            lines += values.map { "  - \(Self.quoted($0))" }
        }
        add(.proxyProtocol, proxyProtocol.rawValue)
        add(.forwardHeaders, String(forwardHeaders))
        add(.alpn, Self.quoted(alpn.isEmpty ? "off" : alpn.joined(separator: ",")))
        add(.upstreamProtocol, upstreamProtocol.rawValue)
        if !perCertificate.isEmpty {
            lines.append("per-certificate:")
            for policy in perCertificate {
                lines.append("  \(Self.quoted(policy.name)):")
                if let clientCA = policy.clientCA { lines.append("    client-ca: \(Self.quoted(clientCA))") }
                lines.append("    client-auth: \(policy.clientAuth.rawValue)")
                lines.append("    verify-depth: \(policy.verifyDepth)")
                if let clientCRL = policy.clientCRL { lines.append("    client-crl: \(Self.quoted(clientCRL))") }
                // Empty lists are written only where they differ from the inherited global ones.
                for (key, values, inherited) in [("allow-cn", policy.allowCN, allowCN), ("allow-dns", policy.allowDNS, allowDNS),
                                                 ("allow-uri", policy.allowURI, allowURI)]
                where !values.isEmpty || !inherited.isEmpty {
                    lines.append("    \(key): [" + values.map(Self.quoted).joined(separator: ", ") + "]")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar. Only `"`, `\` and control characters need escaping there.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
