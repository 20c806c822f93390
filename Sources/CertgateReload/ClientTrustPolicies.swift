import CertgateCertificates
import CertgatePosix
import CertgateTLS

/// Every client-certificate policy a process serves (the global one and the `per-certificate:` ones),
/// one rotating root pool (`ClientCAStore`, with its CRL file) per distinct CA file among them, and the
/// `ClientTrustTable` built from both. Control thread only.
///
/// A CA file is one pool whoever names it: rotating one file adds a generation to its pool only. One
/// CA file goes with one CRL file (or none): two policies naming the same CA file with different CRL
/// files are refused at start-up rather than served with either CRL set.
public final class ClientTrustPolicies {
    /// A policy that could not be set up: `setting` names the flag or config key, `message` the problem.
    public struct SetupError: Error, CustomStringConvertible {
        public var setting: String
        public var message: String
        public var description: String { "\(setting) \(message)" }
    }

    public let global: ClientPolicy
    /// `per-certificate:` policies by certificate name, in configuration order.
    public let perCertificate: [(name: String, policy: ClientPolicy)]
    /// One store per distinct CA file of a policy that asks for certificates (the global one first).
    public let stores: [ClientCAStore]
    public private(set) var table: ClientTrustTable
    /// The stores' trusts changed but the table could not be rebuilt from them: the next reload tries
    /// again even when no store changes then.
    private var tableIsStale = false

    /// - Parameter previous: the policies served so far (a configuration reload); each CA file's pool
    ///   carries its generations over to the new store of the same file.
    public init(
        global: ClientPolicy, perCertificate: [(name: String, policy: ClientPolicy)], rootsLimit: Int,
        rootsMaxAge: Duration?, previous: ClientTrustPolicies? = nil
    ) throws(SetupError) {
        self.global = global
        self.perCertificate = perCertificate
        let named: [(setting: String, policy: ClientPolicy)] =
            [("--client", global)] + perCertificate.map { ("per-certificate.\($0.name).", $0.policy) }
        var stores: [ClientCAStore] = []
        var crlByCA: [String: (crl: String?, setting: String)] = [:]
        for (setting, policy) in named where policy.asksForCertificates {
            guard let caPath = policy.caPath, let verification = policy.verification else { continue }
            let caSetting = setting == "--client" ? "--client-ca" : setting + "client-ca"
            if let first = crlByCA[caPath] {
                guard first.crl == policy.crlPath else {
                    throw SetupError(
                        setting: caSetting,
                        message: """
                            \(caPath): this CA file is also used by \(first.setting) with \
                            \(first.crl.map { "client-crl \($0)" } ?? "no client-crl"), here with \
                            \(policy.crlPath.map { "client-crl \($0)" } ?? "no client-crl"); one CA file is one root pool \
                            with one CRL file: use the same client-crl, or a separate copy of the CA file
                            """)
                }
                continue
            }
            crlByCA[caPath] = (policy.crlPath, caSetting)
            let options = ClientCAStore.Options(
                path: caPath, verification: verification, depth: policy.depth,
                rootsLimit: rootsLimit, rootsMaxAge: rootsMaxAge,
                allowList: policy.allowList, crlPath: policy.crlPath)
            do {
                stores.append(try ClientCAStore(options: options, previous: previous?.store(forCAFile: caPath)))
            } catch {
                // The CA file loads first: an error about the CRL file came after it loaded.
                let crlSetting = setting == "--client" ? "--client-crl" : setting + "client-crl"
                let isCRL = policy.crlPath != nil && error.path == policy.crlPath && policy.crlPath != caPath
                throw SetupError(setting: isCRL ? crlSetting : caSetting, message: "\(error)")
            }
        }
        self.stores = stores
        self.table = ClientTrustTable()
        do {
            self.table = try makeTable()
        } catch {
            throw SetupError(setting: "--client-ca", message: "\(error)")
        }
    }

    /// The store of `caPath`, if a policy asks for certificates from it.
    public func store(forCAFile caPath: String) -> ClientCAStore? {
        stores.first { $0.options.path == caPath }
    }

    /// Whether any CA or CRL file changed since it was last read (the periodic `stat()` check), or the
    /// table still has to be rebuilt.
    public func hasChanges() -> Bool { tableIsStale || stores.contains { $0.hasChanges() } }

    public var watchDirectories: [String] { stores.flatMap(\.watchDirectories) }

    public var nextRetry: ContinuousClock.Instant? { stores.compactMap(\.nextRetry).min() }

    /// What one reload did: each store's outcome (in `stores` order) and the new table when any
    /// trust changed.
    public struct Reload {
        public var stores: [ClientCAStore.Reload]
        /// The table to serve from now on; `nil` when nothing changed (or it could not be built).
        public var table: ClientTrustTable?
        /// Why a changed trust could not be served (the previous table stays).
        public var failure: String?
    }

    /// Reloads every store (see `ClientCAStore.reload`) and rebuilds the table when any trust changed.
    public func reload(forceRead: Bool, now: ContinuousClock.Instant = .now) -> Reload {
        let results = stores.map { $0.reload(forceRead: forceRead, now: now) }
        guard tableIsStale || results.contains(where: { $0.trust != nil }) else {
            return Reload(stores: results, table: nil)
        }
        do {
            table = try makeTable()
            tableIsStale = false
            return Reload(stores: results, table: table)
        } catch {
            tableIsStale = true
            return Reload(stores: results, table: nil, failure: error.description)
        }
    }

    private func makeTable() throws(CertificateLoadError) -> ClientTrustTable {
        let globalTrust = try trust(for: global)
        var overrides: [String: ClientTrust?] = [:]
        for (name, policy) in perCertificate {
            overrides[name] = .some(try trust(for: policy))
        }
        return ClientTrustTable(global: globalTrust, overrides: overrides)
    }

    private func trust(for policy: ClientPolicy) throws(CertificateLoadError) -> ClientTrust? {
        guard policy.asksForCertificates, let caPath = policy.caPath, let store = store(forCAFile: caPath) else {
            return nil
        }
        return try store.makeTrust(for: policy)
    }
}
