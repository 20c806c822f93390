import CertgatePosix
import Glibc
import Prometheus

/// The standard `process_*` metrics, read from the kernel when `/metrics` is scraped (nothing is
/// sampled in between): resident memory, open and maximum descriptors, CPU time, start time.
///
/// Control thread only: created with `ProxyMetrics` on the main thread, and updated by the scrapes the
/// admin listener serves on the control loop there. `@unchecked Sendable` because `ProxyMetrics`, which
/// every thread holds, holds it; `update()` asserts that it runs on the creating thread, so a
/// wrong-thread call traps in debug builds.
final class ProcessMetrics: @unchecked Sendable {
    private let residentMemory: Gauge
    private let openDescriptors: Gauge
    private let maximumDescriptors: Gauge
    private let cpuSeconds: Counter
    /// CPU seconds already added to `cpuSeconds` (counters only go up by deltas).
    private var cpuReported: Double = 0
    /// The control thread: the one that created it.
    let owner = ThreadOwner()

    init(registry: PrometheusCollectorRegistry) {
        residentMemory = registry.makeGauge(
            descriptor: describe(
                "process_resident_memory_bytes",
                "Resident memory size in bytes."))
        openDescriptors = registry.makeGauge(
            descriptor: describe("process_open_fds", "Number of open file descriptors."))
        maximumDescriptors = registry.makeGauge(
            descriptor: describe(
                "process_max_fds",
                "Maximum number of open file descriptors."))
        cpuSeconds = registry.makeCounter(
            descriptor: describe(
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds."))
        let start = registry.makeGauge(
            descriptor: describe(
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds."))
        start.set(to: Self.startTime() ?? Double(time(nil)))
        update()
    }

    func update() {
        owner.assertCurrent("ProcessMetrics")
        if let resident = Self.residentBytes() { residentMemory.set(to: resident) }
        openDescriptors.set(to: Double(Self.openDescriptorCount()))
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            maximumDescriptors.set(to: Double(limit.rlim_cur))
        }
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            let total =
                Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            if total > cpuReported {
                cpuSeconds.increment(by: total - cpuReported)
                cpuReported = total
            }
        }
    }

    /// Second field of /proc/self/statm (resident pages) times the page size.
    private static func residentBytes() -> Double? {
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func openDescriptorCount() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(0, count - 3) // ".", ".." and the descriptor opendir itself holds
    }

    /// Boot time (`btime` in /proc/stat) plus the process's start in clock ticks (field 22 of
    /// /proc/self/stat).
    private static func startTime() -> Double? {
        guard let stat = readSmallFile("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 is at index 19.
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        guard let system = readSmallFile("/proc/stat"),
            let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(line.dropFirst(6).trimmingPrefix(" "))
        else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// A /proc file's text, or `nil`.
private func readSmallFile(_ path: String) -> String? {
    (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
}
