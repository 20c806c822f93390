import CertgateCertificates
import Synchronization

/// The certificate snapshot a worker hands to new connections, replaceable from the control thread.
///
/// One slot per worker, so the lock is only ever contended during a publish (a reload), never between
/// workers: reading it once per accepted connection costs an uncontended lock, nothing on the data path
/// waits on another thread.
public final class SnapshotSlot: Sendable {
    private let current: Mutex<CertificateSnapshot>

    public init(_ snapshot: CertificateSnapshot) {
        current = Mutex(snapshot)
    }

    public var snapshot: CertificateSnapshot {
        current.withLock { $0 }
    }

    public func publish(_ snapshot: CertificateSnapshot) {
        current.withLock { $0 = snapshot }
    }
}
