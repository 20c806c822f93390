import Testing

@testable import CertgateConfig

/// The config file's `per-certificate:` client-certificate overrides.
@Suite("Per-certificate client-certificate overrides")
struct PerCertificateSettingsTests {
    static let filePath = "/etc/certgate/proxy.yaml"
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)

    var flags: ConfigurationFlags {
        ConfigurationFlags(listen: "0.0.0.0:8443", upstream: "127.0.0.1:8080", certificateDirectories: ["certs"])
    }

    func resolve(_ yaml: String) throws(ConfigurationError) -> ProxyConfiguration {
        let file = try ConfigurationFile.parse(yaml: yaml, path: Self.filePath, baseDirectory: "/etc/certgate")
        return try resolver.resolve(flags, file: file)
    }

    func error(_ yaml: String) -> String? {
        do {
            _ = try resolve(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func validOverridesResolveWithPathsAgainstTheFileDirectory() throws {
        let configuration = try resolve(
            """
            client-ca: global.pem
            per-certificate:
              api:
                client-auth: optional
                client-ca: api-clients.pem
                client-crl: api.crl
                verify-depth: 2
                allow-cn: [backup-agent]
                allow-dns: "*.clients.example.com"
              www:
                client-auth: none
            """)
        #expect(configuration.perCertificate.map(\.name) == ["api", "www"])
        let api = configuration.perCertificate[0]
        #expect(api.clientCA == "/etc/certgate/api-clients.pem")
        #expect(api.clientCRL == "/etc/certgate/api.crl")
        #expect(api.clientAuth == .optional)
        #expect(api.verifyDepth == 2)
        #expect(api.allowCN == ["backup-agent"])
        #expect(api.allowDNS == ["*.clients.example.com"])
        #expect(api.allowURI == [])
        let www = configuration.perCertificate[1]
        #expect(www.clientAuth == .none)
        #expect(www.clientCA == "/etc/certgate/global.pem", "inherited, unused with client-auth none")
    }

    @Test func unspecifiedSettingsInheritTheGlobalOnes() throws {
        let configuration = try resolve(
            """
            client-ca: global.pem
            client-crl: global.crl
            client-auth: optional
            verify-depth: 3
            allow-uri: ["spiffe://prod/*"]
            per-certificate:
              api:
                allow-cn: [agent]
              other:
                client-ca: other.pem
            """)
        let api = configuration.perCertificate[0]
        #expect(api.clientCA == "/etc/certgate/global.pem")
        #expect(api.clientCRL == "/etc/certgate/global.crl")
        #expect(api.clientAuth == .optional)
        #expect(api.verifyDepth == 3)
        #expect(api.allowCN == ["agent"])
        #expect(api.allowURI == ["spiffe://prod/*"])
        let other = configuration.perCertificate[1]
        #expect(other.clientCA == "/etc/certgate/other.pem")
        #expect(
            other.clientCRL == nil, "the global CRL belongs to the global CA: not inherited by an entry with its own CA"
        )
        #expect(other.clientAuth == .optional)
    }

    @Test func anEntryWithItsOwnCAAndNoGlobalCADefaultsToRequire() throws {
        let configuration = try resolve(
            """
            per-certificate:
              api:
                client-ca: api.pem
              www: {}
            """)
        #expect(configuration.clientAuth == .none)
        #expect(configuration.perCertificate[0].clientAuth == .require)
        #expect(configuration.perCertificate[1].clientAuth == .none)
        #expect(configuration.perCertificate[1].clientCA == nil)
    }

    @Test func unknownKeysNameTheKeyTheEntryAndTheFile() {
        #expect(
            error("per-certificate:\n  api:\n    client-cas: a.pem\n")
                == "\(Self.filePath): key 'per-certificate.api': unknown key 'client-cas' (did you mean 'client-ca'?); allowed: client-auth, client-ca, client-crl, verify-depth, allow-cn, allow-dns, allow-uri"
        )
        #expect(
            error("per-certificate:\n  api:\n    roots-limit: 3\n")?.contains("unknown key 'roots-limit'") == true,
            "pool settings stay global")
        #expect(
            error("per-certificat:\n  api: {}\n")
                == "\(Self.filePath): unknown key 'per-certificat' (did you mean 'per-certificate'?)")
    }

    @Test func badValuesNameTheNestedKey() {
        #expect(
            error("client-ca: a.pem\nper-certificate:\n  api:\n    client-auth: maybe\n")?
                .hasPrefix("\(Self.filePath): key 'per-certificate.api.client-auth': 'maybe' is not a client auth mode")
                == true)
        #expect(
            error("client-ca: a.pem\nper-certificate:\n  api:\n    verify-depth: 40\n")?
                .hasPrefix("\(Self.filePath): key 'per-certificate.api.verify-depth':") == true)
        #expect(
            error("client-ca: a.pem\nper-certificate:\n  api:\n    allow-cn: [\"a b\"]\n")?
                .hasPrefix("\(Self.filePath): key 'per-certificate.api.allow-cn[0]':") == true)
        #expect(
            error("per-certificate: [api]\n")
                == "\(Self.filePath): key 'per-certificate': expected certificate names with their client-certificate settings, found a list"
        )
        #expect(
            error("per-certificate:\n  api: require\n")?
                .hasPrefix("\(Self.filePath): key 'per-certificate.api': expected client-certificate settings") == true)
    }

    @Test func settingsThatNeedACAAreRefusedWithoutOne() {
        #expect(
            error("per-certificate:\n  api:\n    client-auth: require\n")
                == "\(Self.filePath): key 'per-certificate.api.client-auth': 'require' needs 'client-ca:' in this entry or at the top level"
        )
        #expect(
            error("per-certificate:\n  api:\n    allow-cn: [x]\n")
                == "\(Self.filePath): key 'per-certificate.api.allow-cn': needs 'client-ca:' in this entry or at the top level"
        )
        #expect(
            error("per-certificate:\n  api:\n    client-crl: x.crl\n")
                == "\(Self.filePath): key 'per-certificate.api.client-crl': needs 'client-ca:' in this entry or at the top level"
        )
    }

    @Test func renderingRoundTrips() throws {
        let configuration = try resolve(
            """
            client-ca: global.pem
            allow-cn: [ops]
            per-certificate:
              api:
                client-ca: api.pem
                allow-cn: []
              "www.example": {client-auth: optional}
            """)
        let rendered = configuration.renderedAsConfigurationFile()
        let again = try resolver.resolve(
            flags, file: ConfigurationFile.parse(yaml: rendered, path: "rendered", baseDirectory: "/"))
        #expect(again == configuration, "\(rendered)")
    }
}
