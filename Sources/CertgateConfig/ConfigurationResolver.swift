import Foundation

/// Merges command-line flags with an optional YAML config file into a validated `ProxyConfiguration`.
///
/// Rules, key by key: a flag beats the file; for the list-valued `cert-dir` and the cert/key pairs a
/// flag list *replaces* the file's list (never appends, so one flag can override a whole deployment
/// file). Values from the file are validated even when a flag overrides them, so `certgate check`
/// catches a broken file before the day the flag is dropped. Nothing but the config file itself is read:
/// certificate paths are made absolute but not opened.
public struct ConfigurationResolver: Sendable {
    /// Base for relative paths given as flags (and for a relative `--config`).
    public var currentDirectory: String
    /// What `workers: auto` becomes (clamped to 1...256).
    public var processorCount: Int

    public init(
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        processorCount: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.currentDirectory = currentDirectory
        self.processorCount = processorCount
    }

    /// Loads `flags.configFile` when given, then merges. This is what `certgate run` and `check` call.
    public func resolve(_ flags: ConfigurationFlags) throws(ConfigurationError) -> ProxyConfiguration {
        var file: ConfigurationFile?
        if let configFile = flags.configFile {
            guard !configFile.isEmpty else {
                throw ConfigurationError(.flag("--config"), "empty path")
            }
            file = try ConfigurationFile.load(path: configFile, currentDirectory: currentDirectory)
        }
        return try resolve(flags, file: file)
    }

    /// Merges flags with an already parsed file (`nil`: flags only).
    public func resolve(_ flags: ConfigurationFlags, file: ConfigurationFile?) throws(ConfigurationError)
        -> ProxyConfiguration
    {
        let merge = Merge(file: file)

        let listen = try merge.required(.listen, flags.listen, file?.listen) { text throws(ConfigurationValueError) in
            try SocketEndpoint(parsing: text, role: .listen)
        }
        let upstream = try merge.required(.upstream, flags.upstream, file?.upstream) {
            text throws(ConfigurationValueError) in try SocketEndpoint(parsing: text, role: .upstream)
        }
        let admin = try merge.optional(.admin, flags.admin, file?.admin) { text throws(ConfigurationValueError) in
            try SocketEndpoint(parsing: text, role: .admin)
        }
        try Self.checkDistinct(listen: listen, upstream: upstream, admin: admin)
        let adminTokenFile = try tokenFile(flags, file: file)
        if let adminTokenFile, admin == nil {
            let message: String
            switch adminTokenFile.origin {
            case .flag: message = "needs --admin"
            default: message = "needs 'admin:' (or --admin)"
            }
            throw ConfigurationError(adminTokenFile.origin, message)
        }

        let directories = try certificateDirectories(flags, file: file)
        let pairs = try certificatePairs(flags, file: file)
        if directories.isEmpty && pairs.isEmpty {
            throw ConfigurationError(
                .none,
                "missing a certificate: give --cert-dir DIR or --cert FILE --key FILE "
                    + "(or 'cert-dir:' / 'certs:' in the config file)"
            )
        }

        let defaultCertificate = try merge.optional(.defaultCert, flags.defaultCertificate, file?.defaultCertificate) {
            text throws(ConfigurationValueError) in try SettingParser.nonEmpty(text, what: "certificate name")
        }
        let watchMode = try merge.optional(.watch, flags.watch, file?.watch, SettingParser.watchMode)
        let statInterval = try merge.optional(
            .statInterval, flags.statInterval, file?.statInterval, SettingParser.statInterval
        )
        let reloadInterval = try merge.optional(
            .reloadInterval, flags.reloadInterval, file?.reloadInterval, SettingParser.reloadInterval
        )
        // The switch has no value to validate; spelling it as text lets it share the flag-beats-file rule.
        let allowExpired = try merge.optional(
            .allowExpired, flags.allowExpired.map { $0 ? "true" : "false" }, file?.allowExpired, SettingParser.boolean
        )
        let cores = processorCount
        let workers = try merge.optional(.workers, flags.workers, file?.workers) {
            text throws(ConfigurationValueError) in try SettingParser.workers(text, processorCount: cores)
        }
        let logFormat = try merge.optional(.logFormat, flags.logFormat, file?.logFormat, SettingParser.logFormat)
        let logLevel = try merge.optional(.logLevel, flags.logLevel, file?.logLevel, SettingParser.logLevel)
        let minimumTLSVersion = try merge.optional(
            .minTLS, flags.minimumTLSVersion, file?.minimumTLSVersion, SettingParser.tlsVersion
        )
        let ciphers = try merge.optional(.ciphers, flags.ciphers, file?.ciphers) {
            text throws(ConfigurationValueError) in try SettingParser.nonEmpty(text, what: "cipher list")
        }
        let ciphersuites = try merge.optional(.ciphersuites, flags.ciphersuites, file?.ciphersuites) {
            text throws(ConfigurationValueError) in try SettingParser.nonEmpty(text, what: "ciphersuite list")
        }
        let connectTimeout = try merge.optional(
            .connectTimeout, flags.connectTimeout, file?.connectTimeout, SettingParser.timeout
        )
        let handshakeTimeout = try merge.optional(
            .handshakeTimeout, flags.handshakeTimeout, file?.handshakeTimeout, SettingParser.timeout
        )
        let drainTimeout = try merge.optional(
            .drainTimeout, flags.drainTimeout, file?.drainTimeout, SettingParser.drainTimeout
        )
        let expiryWarning = try merge.optional(
            .expiryWarning, flags.expiryWarning, file?.expiryWarning, SettingParser.expiryWarning
        )

        let clientCertificates = try clientCertificateSettings(flags, file: file, merge: merge)
        let proxyProtocol = try merge.optional(
            .proxyProtocol, flags.proxyProtocol, file?.proxyProtocol, SettingParser.proxyProtocol
        )
        let forwardHeaders = try merge.optional(
            .forwardHeaders, flags.forwardHeaders.map { $0 ? "true" : "false" }, file?.forwardHeaders,
            SettingParser.boolean
        )
        let alpn = try merge.optional(.alpn, flags.alpn, file?.alpn, SettingParser.alpn)
        let upstreamProtocol = try merge.optional(
            .upstreamProtocol, flags.upstreamProtocol, file?.upstreamProtocol, SettingParser.upstreamProtocol
        )
        try Self.checkHTTP2(alpn: alpn, upstreamProtocol: upstreamProtocol, forwardHeaders: forwardHeaders)

        var configuration = ProxyConfiguration(
            listen: listen.value,
            upstream: upstream.value,
            certificateDirectories: directories,
            certificatePairs: pairs,
            defaultCertificate: defaultCertificate?.value,
            watchMode: watchMode?.value ?? ConfigurationDefaults.watchMode,
            statInterval: statInterval?.value ?? ConfigurationDefaults.statInterval,
            reloadInterval: reloadInterval.map(\.value) ?? ConfigurationDefaults.reloadInterval,
            allowExpired: allowExpired?.value ?? ConfigurationDefaults.allowExpired,
            expiryWarning: expiryWarning?.value ?? ConfigurationDefaults.expiryWarning,
            workers: workers?.value ?? min(max(processorCount, 1), SettingParser.maximumWorkers),
            admin: admin?.value,
            adminTokenFile: adminTokenFile?.value ?? ConfigurationDefaults.adminTokenFile,
            logFormat: logFormat?.value ?? ConfigurationDefaults.logFormat,
            logLevel: logLevel?.value ?? ConfigurationDefaults.logLevel,
            minimumTLSVersion: minimumTLSVersion?.value ?? ConfigurationDefaults.minimumTLSVersion,
            ciphers: ciphers?.value,
            ciphersuites: ciphersuites?.value,
            connectTimeout: connectTimeout?.value ?? ConfigurationDefaults.connectTimeout,
            handshakeTimeout: handshakeTimeout?.value ?? ConfigurationDefaults.handshakeTimeout,
            drainTimeout: drainTimeout?.value ?? ConfigurationDefaults.drainTimeout,
            clientCA: clientCertificates.clientCA,
            clientAuth: clientCertificates.clientAuth,
            verifyDepth: clientCertificates.verifyDepth,
            rootsLimit: clientCertificates.rootsLimit,
            rootsMaxAge: clientCertificates.rootsMaxAge,
            clientCRL: clientCertificates.clientCRL,
            allowCN: clientCertificates.allowCN,
            allowDNS: clientCertificates.allowDNS,
            allowURI: clientCertificates.allowURI,
            proxyProtocol: proxyProtocol?.value ?? ConfigurationDefaults.proxyProtocol,
            forwardHeaders: forwardHeaders?.value ?? ConfigurationDefaults.forwardHeaders,
            alpn: alpn?.value ?? [],
            upstreamProtocol: upstreamProtocol?.value ?? ConfigurationDefaults.upstreamProtocol
        )
        configuration.perCertificate = try perCertificatePolicies(file, global: configuration)
        return configuration
    }

    // MARK: - Client certificates

    /// The resolved `--client-*`, `--verify-depth`, `--roots-*` and `--allow-*` settings.
    private struct ClientCertificateSettings {
        var clientCA: String?
        var clientAuth: ClientAuthMode
        var verifyDepth: Int
        var rootsLimit: Int
        var rootsMaxAge: Duration?
        var clientCRL: String?
        var allowCN: [String]
        var allowDNS: [String]
        var allowURI: [String]
    }

    /// Merges the client-certificate settings and checks that everything needing `--client-ca` has it.
    /// `--client-auth` defaults to `require` when a CA is given and to `none` otherwise.
    private func clientCertificateSettings(_ flags: ConfigurationFlags, file: ConfigurationFile?, merge: Merge)
        throws(ConfigurationError) -> ClientCertificateSettings
    {
        let clientCA = try pathSetting(.clientCA, flags.clientCA, file: file, fileValue: file?.clientCA)
        let clientCRL = try pathSetting(.clientCRL, flags.clientCRL, file: file, fileValue: file?.clientCRL)
        let clientAuth = try merge.optional(.clientAuth, flags.clientAuth, file?.clientAuth, SettingParser.clientAuth)
        let verifyDepth = try merge.optional(
            .verifyDepth, flags.verifyDepth, file?.verifyDepth, SettingParser.verifyDepth
        )
        let rootsLimit = try merge.optional(.rootsLimit, flags.rootsLimit, file?.rootsLimit, SettingParser.rootsLimit)
        let rootsMaxAge = try merge.optional(
            .rootsMaxAge, flags.rootsMaxAge, file?.rootsMaxAge, SettingParser.rootsMaxAge
        )
        let allowCN = try allowList(.allowCN, flags.allowCN, file: file, fileValues: file?.allowCN)
        let allowDNS = try allowList(.allowDNS, flags.allowDNS, file: file, fileValues: file?.allowDNS)
        let allowURI = try allowList(.allowURI, flags.allowURI, file: file, fileValues: file?.allowURI)

        if clientCA == nil {
            if let clientAuth, clientAuth.value != .none {
                throw ConfigurationError(
                    clientAuth.origin, "'\(clientAuth.value.rawValue)' \(Self.needsClientCA(clientAuth.origin))"
                )
            }
            let dependents: [Merge.Setting<Void>?] = [
                clientCRL.map { Merge.Setting(value: (), origin: $0.origin) },
                allowCN.map { Merge.Setting(value: (), origin: $0.origin) },
                allowDNS.map { Merge.Setting(value: (), origin: $0.origin) },
                allowURI.map { Merge.Setting(value: (), origin: $0.origin) },
            ]
            if let dependent = dependents.compactMap({ $0 }).first {
                throw ConfigurationError(dependent.origin, Self.needsClientCA(dependent.origin))
            }
        }
        return ClientCertificateSettings(
            clientCA: clientCA?.value,
            clientAuth: clientAuth?.value ?? (clientCA == nil ? ConfigurationDefaults.clientAuth : .require),
            verifyDepth: verifyDepth?.value ?? ConfigurationDefaults.verifyDepth,
            rootsLimit: rootsLimit?.value ?? ConfigurationDefaults.rootsLimit,
            rootsMaxAge: rootsMaxAge.map(\.value) ?? ConfigurationDefaults.rootsMaxAge,
            clientCRL: clientCRL?.value,
            allowCN: allowCN?.value ?? [],
            allowDNS: allowDNS?.value ?? [],
            allowURI: allowURI?.value ?? []
        )
    }

    /// "needs --client-ca" for a flag, "needs 'client-ca:' (or --client-ca)" for a file key.
    private static func needsClientCA(_ origin: ConfigurationError.Origin) -> String {
        let key = ConfigurationKey.clientCA
        switch origin {
        case .flag: return "needs \(key.flag)"
        default: return "needs '\(key.rawValue):' (or \(key.flag))"
        }
    }

    /// A repeatable `--allow-*` flag (whose list replaces the file's) or the file's list, each value
    /// checked where it was written. `nil` when neither gives a value (an empty file list counts as none).
    private func allowList(
        _ key: ConfigurationKey, _ flagValues: [String], file: ConfigurationFile?, fileValues: [String]?
    ) throws(ConfigurationError) -> Merge.Setting<[String]>? {
        var fromFile: Merge.Setting<[String]>?
        if let file, let fileValues, !fileValues.isEmpty {
            var values: [String] = []
            for (index, text) in fileValues.enumerated() {
                do {
                    values.append(try SettingParser.allowPattern(text))
                } catch {
                    throw ConfigurationError(.fileKey(file: file.path, key: "\(key.rawValue)[\(index)]"), error)
                }
            }
            fromFile = Merge.Setting(value: values, origin: .fileKey(file: file.path, key: key.rawValue))
        }
        guard !flagValues.isEmpty else {
            return fromFile
        }
        var values: [String] = []
        for text in flagValues {
            do {
                values.append(try SettingParser.allowPattern(text))
            } catch {
                throw ConfigurationError(.flag(key.flag), error)
            }
        }
        return Merge.Setting(value: values, origin: .flag(key.flag))
    }

    // MARK: - Certificate sources

    private func certificateDirectories(_ flags: ConfigurationFlags, file: ConfigurationFile?)
        throws(ConfigurationError) -> [String]
    {
        guard !flags.certificateDirectories.isEmpty else {
            return file?.certificateDirectories ?? []
        }
        return try flags.certificateDirectories.map { text throws(ConfigurationError) in
            try flagPath(text, flag: "--cert-dir")
        }
    }

    /// `--cert` and `--key` pair up by position: the first `--key` belongs to the first `--cert`.
    private func certificatePairs(_ flags: ConfigurationFlags, file: ConfigurationFile?)
        throws(ConfigurationError) -> [CertificatePair]
    {
        let certificates = flags.certificates
        let keys = flags.keys
        guard !certificates.isEmpty || !keys.isEmpty else {
            return file?.certificatePairs ?? []
        }
        if certificates.count > keys.count {
            throw ConfigurationError(
                .flag("--cert"),
                "'\(certificates[keys.count])' has no matching --key (each --cert needs a --key, in the same order)"
            )
        }
        if keys.count > certificates.count {
            throw ConfigurationError(
                .flag("--key"),
                "'\(keys[certificates.count])' has no matching --cert (each --key needs a --cert, in the same order)"
            )
        }
        var pairs: [CertificatePair] = []
        for (certificate, key) in zip(certificates, keys) {
            pairs.append(
                CertificatePair(
                    certificatePath: try flagPath(certificate, flag: "--cert"),
                    keyPath: try flagPath(key, flag: "--key")
                )
            )
        }
        return pairs
    }

    /// `--admin-token-file` (relative to the working directory) beats `admin-token-file:` (already made
    /// absolute against the file's directory by the parser). The file is not opened here: it is read
    /// when the admin listener starts.
    private func tokenFile(_ flags: ConfigurationFlags, file: ConfigurationFile?)
        throws(ConfigurationError) -> Merge.Setting<String>?
    {
        try pathSetting(.adminTokenFile, flags.adminTokenFile, file: file, fileValue: file?.adminTokenFile)
    }

    /// A path flag (relative to the working directory) beats the file's key (already made absolute
    /// against the file's directory by the parser). Nothing is opened here.
    private func pathSetting(
        _ key: ConfigurationKey, _ flagText: String?, file: ConfigurationFile?, fileValue: String?
    ) throws(ConfigurationError) -> Merge.Setting<String>? {
        if let flagText {
            return Merge.Setting(value: try flagPath(flagText, flag: key.flag), origin: .flag(key.flag))
        }
        guard let file, let path = fileValue else { return nil }
        return Merge.Setting(value: path, origin: .fileKey(file: file.path, key: key.rawValue))
    }

    private func flagPath(_ text: String, flag: String) throws(ConfigurationError) -> String {
        do {
            return try SettingParser.path(text, relativeTo: currentDirectory)
        } catch {
            throw ConfigurationError(.flag(flag), error)
        }
    }

    // MARK: - Cross-checks

    /// A connection that agrees on `h2` is passed through untouched, so:
    /// - `h2` in `--alpn` needs an upstream declared to speak HTTP/2 (`--upstream-protocol h2c`); offered
    ///   in front of an HTTP/1.1 service it breaks every browser;
    /// - `--forward-headers` cannot be combined with `h2` (nor with an h2c upstream): the identity headers
    ///   of HTTP/2 requests would reach the upstream as the client wrote them, spoofable by anyone.
    private static func checkHTTP2(
        alpn: Merge.Setting<[String]>?,
        upstreamProtocol: Merge.Setting<UpstreamProtocol>?,
        forwardHeaders: Merge.Setting<Bool>?
    ) throws(ConfigurationError) {
        let offersH2 = alpn?.value.contains("h2") ?? false
        let forwarding = forwardHeaders?.value ?? ConfigurationDefaults.forwardHeaders
        if let alpn, offersH2, forwarding {
            throw ConfigurationError(
                alpn.origin,
                "'h2' cannot be offered together with \(Self.name(.forwardHeaders, forwardHeaders?.origin)): "
                    + "HTTP/2 connections are passed through untouched, so their X-Forwarded-* and "
                    + "X-Forwarded-Client-Cert fields would reach the upstream as the client wrote them; "
                    + "remove h2 from the ALPN list"
            )
        }
        if let upstreamProtocol, upstreamProtocol.value == .h2c, forwarding {
            throw ConfigurationError(
                upstreamProtocol.origin,
                "'h2c' cannot be combined with \(Self.name(.forwardHeaders, forwardHeaders?.origin)): "
                    + "HTTP/2 is passed through untouched, so identity fields could not be rewritten"
            )
        }
        if let alpn, offersH2, (upstreamProtocol?.value ?? ConfigurationDefaults.upstreamProtocol) != .h2c {
            throw ConfigurationError(
                alpn.origin,
                "'h2' needs an upstream that speaks HTTP/2 in clear text: HTTP/2 connections are passed "
                    + "through untouched; declare it with \(ConfigurationKey.upstreamProtocol.flag) h2c, or "
                    + "offer only http/1.1"
            )
        }
    }

    /// How a message names another setting: the flag when it was a flag, else the file key.
    private static func name(_ key: ConfigurationKey, _ origin: ConfigurationError.Origin?) -> String {
        switch origin {
        case .fileKey?: return "'\(key.rawValue):'"
        default: return key.flag
        }
    }

    /// Catches the two self-inflicted loops an operator can type: proxying to the TLS listener itself,
    /// and putting the admin listener on the TLS port. Port 0 is exempt (each bind gets its own port).
    private static func checkDistinct(
        listen: Merge.Setting<SocketEndpoint>,
        upstream: Merge.Setting<SocketEndpoint>,
        admin: Merge.Setting<SocketEndpoint>?
    ) throws(ConfigurationError) {
        if listen.value.port != 0 && upstream.value == listen.value {
            throw ConfigurationError(
                upstream.origin, "'\(upstream.value)' is the listen address; certgate would proxy to itself"
            )
        }
        if let admin, admin.value.port != 0, admin.value == listen.value {
            throw ConfigurationError(admin.origin, "'\(admin.value)' is already the listen address")
        }
    }
}
