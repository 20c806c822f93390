import CertgatePosix
import Foundation
import Prometheus
import Synchronization
import Testing

@testable import CertgateMetrics

/// Runs `body` on a new thread and waits for it.
private func onAnotherThread(_ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        body()
        done.signal()
    }
    done.wait()
}

@Suite("Control-thread metrics")
struct ControlThreadMetricsTests {
    private func exposition(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func theyAreOwnedByTheThreadThatCreatedThem() {
        let registry = PrometheusCollectorRegistry()
        let owners = [
            ReloadMetrics(registry: registry).owner, ClientCAMetrics(registry: registry, caFile: "ca.pem").owner,
            ClientCRLMetrics(registry: registry, caFile: "ca.pem").owner, ProcessMetrics(registry: registry).owner,
        ]
        #expect(owners.allSatisfy { $0.isCurrent })
        let elsewhere = owners.map { owner in
            let seen = Mutex(true)
            onAnotherThread { seen.withLock { $0 = owner.isCurrent } }
            return seen.withLock { $0 }
        }
        #expect(elsewhere == [false, false, false, false])
    }

    @Test func onTheirOwnThreadEveryEntryPointRecords() {
        let registry = PrometheusCollectorRegistry()
        let reload = ReloadMetrics(registry: registry)
        reload.recordReload(trigger: "admin", result: "success", durationSeconds: 0.5, failingSources: 2, now: 1)
        reload.setInotifyActive(true)
        reload.setNotAfter(["api": 1_900_000_000])
        let ca = ClientCAMetrics(registry: registry, caFile: "ca.pem")
        ca.recordReload(trigger: "signal", result: "failure")
        ca.recordEvictions(2)
        ca.setPool(generations: 3, trusted: ["ab": 1_800_000_000])
        let crl = ClientCRLMetrics(registry: registry, caFile: "ca.pem")
        crl.recordReload(trigger: "stat", result: "unchanged")
        crl.setLists(count: 1, revokedEntries: 4, uncoveredCAs: 0, nextUpdates: ["ab": 1_700_000_000])
        ProcessMetrics(registry: registry).update()
        let text = exposition(registry)
        for line in [
            #"certgate_cert_reloads_total{trigger="admin",result="success"} 1"#,
            "certgate_cert_watcher_inotify_active 1.0",
            #"certgate_cert_not_after_timestamp_seconds{cert="api"} 1900000000.0"#,
            #"certgate_client_ca_reloads_total{ca_file="ca.pem",trigger="signal",result="failure"} 1"#,
            #"certgate_client_ca_evictions_total{ca_file="ca.pem"} 2"#,
            #"certgate_client_crl_reloads_total{ca_file="ca.pem",trigger="stat",result="unchanged"} 1"#,
            #"certgate_client_crl_revoked_certificates{ca_file="ca.pem"} 4.0"#,
        ] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        #expect(text.contains("process_open_fds "))
    }

    #if DEBUG
        // A call from another thread traps (assertions are on in debug builds); each in a child process.
        @Test func reloadMetricsTrapOffTheirThread() async {
            await #expect(processExitsWith: .failure) {
                let metrics = ReloadMetrics(registry: PrometheusCollectorRegistry())
                onAnotherThread { metrics.setInotifyActive(true) }
            }
        }

        @Test func ocspMetricsTrapOffTheirThread() async {
            await #expect(processExitsWith: .failure) {
                let metrics = OCSPMetrics(registry: PrometheusCollectorRegistry())
                onAnotherThread { metrics.recordResponse(result: "loaded") }
            }
        }

        @Test func clientCAMetricsTrapOffTheirThread() async {
            await #expect(processExitsWith: .failure) {
                let metrics = ClientCAMetrics(registry: PrometheusCollectorRegistry(), caFile: "ca.pem")
                onAnotherThread { metrics.recordReload(trigger: "admin", result: "success") }
            }
        }

        @Test func clientCRLMetricsTrapOffTheirThread() async {
            await #expect(processExitsWith: .failure) {
                let metrics = ClientCRLMetrics(registry: PrometheusCollectorRegistry(), caFile: "ca.pem")
                onAnotherThread { metrics.setLists(count: 0, revokedEntries: 0, uncoveredCAs: 0, nextUpdates: [:]) }
            }
        }

        @Test func processMetricsTrapOffTheirThread() async {
            await #expect(processExitsWith: .failure) {
                let metrics = ProcessMetrics(registry: PrometheusCollectorRegistry())
                onAnotherThread { metrics.update() }
            }
        }

        @Test func theSameCallsOnTheOwningThreadExitCleanly() async {
            await #expect(processExitsWith: .success) {
                let registry = PrometheusCollectorRegistry()
                ReloadMetrics(registry: registry).setInotifyActive(true)
                ClientCAMetrics(registry: registry, caFile: "ca.pem").recordReload(trigger: "admin", result: "success")
                ClientCRLMetrics(registry: registry, caFile: "ca.pem").recordReload(trigger: "admin", result: "success")
                ProcessMetrics(registry: registry).update()
            }
        }
    #endif
}
