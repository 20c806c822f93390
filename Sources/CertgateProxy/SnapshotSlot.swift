import CertgateCertificates
import Synchronization

/// What a worker hands to each new connection, replaceable from the control thread: the certificate
/// snapshot (a certificate reload) and the proxy settings (a configuration reload).
///
/// One slot per worker, so the lock is only ever contended during a publish (a reload), never between
/// workers: reading it once per accepted connection costs an uncontended lock, nothing on the data path
/// waits on another thread. A connection keeps what it read at its accept for its whole life.
public final class SnapshotSlot: Sendable {
    private struct Contents {
        var snapshot: CertificateSnapshot
        var settings: SharedProxySettings
    }

    private let current: Mutex<Contents>

    public init(_ snapshot: CertificateSnapshot, settings: ProxySettings) {
        current = Mutex(Contents(snapshot: snapshot, settings: SharedProxySettings(settings)))
    }

    public var snapshot: CertificateSnapshot {
        current.withLock { $0.snapshot }
    }

    /// The snapshot and the settings for a new connection, read under one lock.
    var forNewConnection: (snapshot: CertificateSnapshot, settings: SharedProxySettings) {
        current.withLock { ($0.snapshot, $0.settings) }
    }

    public func publish(_ snapshot: CertificateSnapshot) {
        current.withLock { $0.snapshot = snapshot }
    }

    public func publish(_ settings: ProxySettings) {
        let shared = SharedProxySettings(settings)
        current.withLock { $0.settings = shared }
    }
}
