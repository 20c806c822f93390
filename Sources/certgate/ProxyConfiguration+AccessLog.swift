import CertgateConfig
import CertgateLogging
import CertgateMetrics
import CertgatePosix
import CertgateProxy

extension ProxyConfiguration {
    /// `--access-log` as the log's format; `nil`: off.
    var accessLogFormat: LogOutputFormat? {
        switch accessLog {
        case .off: return nil
        case .text: return .text
        case .json: return .json
        }
    }

    /// `--access-log-file` opened (stdout when not given).
    func openAccessLogTarget() throws -> AccessLogTarget {
        do {
            return try AccessLogTarget.open(accessLogFile)
        } catch {
            throw StartupFailure("--access-log-file \(accessLogFile ?? "-"): \(SystemError.message(for: error.errno))")
        }
    }

    /// The process's access log, writing already when `--access-log` is on. The file is opened even
    /// when it is off, so a bad path fails the start rather than a later reload.
    func startAccessLog(metrics: ProxyMetrics) throws -> AccessLog {
        let log = AccessLog(target: try openAccessLogTarget()) {
            metrics.accessLogDroppedLines.increment(by: Int64($0))
        }
        do {
            try log.configure(format: accessLogFormat)
        } catch {
            throw StartupFailure("access log: cannot start its writer thread: \(error)")
        }
        return log
    }
}
