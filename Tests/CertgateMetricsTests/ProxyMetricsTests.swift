import CertgateMetrics
import Glibc
import Testing

/// `ProxyMetrics` rendered to the Prometheus text format, as `/metrics` serves it: every family with one
/// HELP and one TYPE line, every fixed label combination at zero from start-up, and values that move
/// with the calls the data path makes.
@Suite("Proxy metrics exposition")
struct ProxyMetricsTests {
    private static let failureReasons = ["timeout", "peer_closed", "not_tls", "internal"]
    private static let rejectionReasons = ["bad_request_line", "header_too_large"]

    private func metrics() -> ProxyMetrics {
        ProxyMetrics(
            version: "1.2.3", openSSLVersion: "OpenSSL 3.0.19", handshakeFailureReasons: Self.failureReasons,
            httpRejectionReasons: Self.rejectionReasons)
    }

    private func scrape(_ metrics: ProxyMetrics) -> Exposition {
        Exposition.checked(metrics.exposition())
    }

    @Test func everyFamilyIsDescribedAndTyped() {
        let scraped = scrape(metrics())
        let counters = [
            "certgate_connections_total", "certgate_tls_handshakes_total", "certgate_tls_connections_total",
            "certgate_bytes_total", "certgate_upstream_connect_failures_total",
            "certgate_connections_shed_total", "certgate_cert_reloads_total",
            "certgate_http_requests_total", "certgate_access_log_dropped_lines_total",
            "certgate_http_requests_rejected_total", "certgate_http_error_responses_total",
            "process_cpu_seconds_total",
        ]
        let gauges = [
            "certgate_build_info", "certgate_connections_active", "certgate_certificates_loaded",
            "certgate_cert_last_reload_successful", "certgate_cert_last_reload_success_timestamp_seconds",
            "certgate_cert_watcher_inotify_active", "certgate_cert_sources_failing",
            "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
            "process_start_time_seconds",
        ]
        let histograms = [
            "certgate_tls_handshake_duration_seconds", "certgate_upstream_connect_duration_seconds",
            "certgate_cert_reload_duration_seconds",
        ]
        for name in counters { #expect(scraped.type[name] == "counter", "\(name)") }
        for name in gauges { #expect(scraped.type[name] == "gauge", "\(name)") }
        for name in histograms { #expect(scraped.type[name] == "histogram", "\(name)") }
        for name in counters + gauges + histograms {
            #expect(!(scraped.help[name] ?? "").isEmpty, "\(name) has HELP text")
        }
        #expect(
            scraped.help["certgate_tls_handshakes_total"]
                == "TLS handshakes completed or failed; failures by reason.")
        #expect(scraped.help["certgate_bytes_total"] == "Plaintext bytes forwarded, by direction.")
    }

    @Test func everyFixedSeriesStartsAtZero() {
        let scraped = scrape(metrics())
        #expect(scraped.value("certgate_build_info", ["version": "1.2.3", "openssl": "OpenSSL 3.0.19"]) == 1)
        for name in [
            "certgate_connections_total", "certgate_connections_active", "certgate_connections_shed_total",
            "certgate_certificates_loaded", "certgate_http_requests_total", "certgate_access_log_dropped_lines_total",
        ] {
            #expect(scraped.value(name) == 0, "\(name)")
        }
        let handshakes = Set([["result": "success"]] + Self.failureReasons.map { ["result": "failure", "reason": $0] })
        #expect(scraped.labelSets("certgate_tls_handshakes_total") == handshakes)
        #expect(scraped.series("certgate_tls_handshakes_total").allSatisfy { $0.value == 0 })
        #expect(
            scraped.labelSets("certgate_tls_connections_total") == [["version": "TLSv1.2"], ["version": "TLSv1.3"]])
        #expect(
            scraped.labelSets("certgate_bytes_total")
                == [["direction": "client_to_upstream"], ["direction": "upstream_to_client"]])
        #expect(
            scraped.labelSets("certgate_upstream_connect_failures_total")
                == Set(ProxyMetrics.upstreamFailureReasons.map { ["reason": $0] }))
        #expect(
            scraped.labelSets("certgate_http_requests_rejected_total")
                == Set(Self.rejectionReasons.map { ["reason": $0] }))
        #expect(
            scraped.labelSets("certgate_http_error_responses_total")
                == Set(HTTPMetrics.responseStatuses.map { ["status": String($0)] }))
        for name in [
            "certgate_tls_connections_total", "certgate_bytes_total",
            "certgate_upstream_connect_failures_total",
            "certgate_http_requests_rejected_total", "certgate_http_error_responses_total",
        ] {
            #expect(scraped.series(name).allSatisfy { $0.value == 0 }, "\(name)")
        }
        // 14 buckets and +Inf, all empty.
        #expect(scraped.series("certgate_tls_handshake_duration_seconds_bucket").count == 15)
        #expect(scraped.value("certgate_tls_handshake_duration_seconds_count") == 0)
        #expect(scraped.series("certgate_upstream_connect_duration_seconds_bucket").count == 16)
    }

    @Test func connectionAndHandshakeCountersMove() {
        let metrics = metrics()
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionClosed()
        #expect(metrics.connectionsActiveCount == 2)
        metrics.handshakeSuccesses.increment()
        metrics.tls13Connections.increment()
        metrics.handshakeFailures(reason: "timeout").increment()
        metrics.handshakeFailures(reason: "timeout").increment()
        // A reason that was not declared counts as internal, never as a new series.
        metrics.handshakeFailures(reason: "made_up").increment()
        metrics.upstreamConnectFailures(reason: "refused").increment()
        metrics.upstreamConnectFailures(reason: "made_up").increment()
        metrics.acceptShed.increment()
        metrics.certificatesLoaded.set(to: 3)
        metrics.http.rejected(reason: "header_too_large")
        metrics.http.rejected(reason: "not_declared")
        metrics.http.responded(status: 502)
        metrics.http.responded(status: 200)

        let scraped = scrape(metrics)
        #expect(scraped.value("certgate_connections_total") == 3)
        #expect(scraped.value("certgate_connections_active") == 2)
        #expect(scraped.value("certgate_tls_handshakes_total", ["result": "success"]) == 1)
        #expect(scraped.value("certgate_tls_handshakes_total", ["result": "failure", "reason": "timeout"]) == 2)
        #expect(scraped.value("certgate_tls_handshakes_total", ["result": "failure", "reason": "internal"]) == 1)
        #expect(scraped.series("certgate_tls_handshakes_total").count == 1 + Self.failureReasons.count)
        #expect(scraped.value("certgate_tls_connections_total", ["version": "TLSv1.3"]) == 1)
        #expect(scraped.value("certgate_tls_connections_total", ["version": "TLSv1.2"]) == 0)
        #expect(scraped.value("certgate_upstream_connect_failures_total", ["reason": "refused"]) == 1)
        #expect(scraped.value("certgate_upstream_connect_failures_total", ["reason": "other"]) == 1)
        #expect(scraped.value("certgate_connections_shed_total") == 1)
        #expect(scraped.value("certgate_certificates_loaded") == 3)
        #expect(scraped.value("certgate_http_requests_rejected_total", ["reason": "header_too_large"]) == 1)
        #expect(scraped.series("certgate_http_requests_rejected_total").count == Self.rejectionReasons.count)
        #expect(scraped.value("certgate_http_error_responses_total", ["status": "502"]) == 1)
        #expect(scraped.series("certgate_http_error_responses_total").map(\.value).reduce(0, +) == 1)
    }

    @Test func closedConnectionsByReason() {
        let metrics = metrics()
        let fresh = scrape(metrics)
        #expect(fresh.type["certgate_connections_closed_total"] == "counter")
        #expect(!(fresh.help["certgate_connections_closed_total"] ?? "").isEmpty)
        let reasons = ["idle_timeout", "handshake_timeout", "client_close", "upstream_close", "error", "drain"]
        #expect(ConnectionCloseReason.allCases.map(\.rawValue) == reasons)
        #expect(fresh.labelSets("certgate_connections_closed_total") == Set(reasons.map { ["reason": $0] }))
        #expect(fresh.series("certgate_connections_closed_total").allSatisfy { $0.value == 0 })

        metrics.connectionsClosed(.idleTimeout).increment()
        metrics.connectionsClosed(.clientClose).increment()
        metrics.connectionsClosed(.clientClose).increment()
        let scraped = scrape(metrics)
        #expect(scraped.value("certgate_connections_closed_total", ["reason": "idle_timeout"]) == 1)
        #expect(scraped.value("certgate_connections_closed_total", ["reason": "client_close"]) == 2)
        #expect(scraped.value("certgate_connections_closed_total", ["reason": "drain"]) == 0)
        #expect(scraped.series("certgate_connections_closed_total").count == reasons.count)
    }

    @Test func handshakeDurationsFallIntoTheirBuckets() {
        let metrics = metrics()
        metrics.handshakeDuration.record(0.003)
        metrics.handshakeDuration.record(0.2)
        metrics.handshakeDuration.record(30.0)
        let scraped = scrape(metrics)
        let bucket = "certgate_tls_handshake_duration_seconds_bucket"
        #expect(scraped.value(bucket, ["le": "0.0025"]) == 0)
        #expect(scraped.value(bucket, ["le": "0.005"]) == 1)
        #expect(scraped.value(bucket, ["le": "0.25"]) == 2)
        #expect(scraped.value(bucket, ["le": "10.0"]) == 2)
        #expect(scraped.value(bucket, ["le": "+Inf"]) == 3)
        #expect(scraped.value("certgate_tls_handshake_duration_seconds_count") == 3)
        let sum = scraped.value("certgate_tls_handshake_duration_seconds_sum") ?? 0
        #expect(abs(sum - 30.203) < 1e-9)
    }

    @Test func workerTrafficIsSummedAtEachScrapeAndCountedOnce() {
        let metrics = metrics()
        let first = metrics.makeTrafficCounters()
        let second = metrics.makeTrafficCounters()
        first.addClientToUpstream(100)
        second.addClientToUpstream(23)
        first.addUpstreamToClient(5000)
        second.addForwardedRequests(2)
        var scraped = scrape(metrics)
        #expect(scraped.value("certgate_bytes_total", ["direction": "client_to_upstream"]) == 123)
        #expect(scraped.value("certgate_bytes_total", ["direction": "upstream_to_client"]) == 5000)
        #expect(scraped.value("certgate_http_requests_total") == 2)

        // A scrape with no new traffic adds nothing; new traffic adds only itself.
        scraped = scrape(metrics)
        #expect(scraped.value("certgate_bytes_total", ["direction": "client_to_upstream"]) == 123)
        second.addUpstreamToClient(1)
        first.addForwardedRequests(1)
        scraped = scrape(metrics)
        #expect(scraped.value("certgate_bytes_total", ["direction": "client_to_upstream"]) == 123)
        #expect(scraped.value("certgate_bytes_total", ["direction": "upstream_to_client"]) == 5001)
        #expect(scraped.value("certgate_http_requests_total") == 3)
    }

    @Test func processMetricsDescribeThisProcess() throws {
        let metrics = metrics()
        let scraped = scrape(metrics)
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(scraped.value("process_max_fds") == Double(limit.rlim_cur))
        let open = try #require(scraped.value("process_open_fds"))
        #expect(open >= 3 && open <= Double(limit.rlim_cur), "stdin, stdout and stderr at least")
        let resident = try #require(scraped.value("process_resident_memory_bytes"))
        #expect(resident > 1_000_000, "a Swift test process takes more than 1 MB")
        let now = Double(time(nil))
        let started = try #require(scraped.value("process_start_time_seconds"))
        #expect(started <= now + 1 && started > now - 86400, "started today, not in the future: \(started)")
        let cpu = try #require(scraped.value("process_cpu_seconds_total"))
        #expect(cpu > 0)
        // A counter: the next scrape adds the CPU time used since, never less.
        let later = try #require(scrape(metrics).value("process_cpu_seconds_total"))
        #expect(later >= cpu)
    }
}
