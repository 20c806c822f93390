import CertgateLogging
import CertgatePosix

extension ReloadReport {
    /// The `POST /reload` answer, one JSON object:
    ///
    /// ```json
    /// {"result":"success","trigger":"admin","duration_seconds":0.0042,"certificates":2,
    ///  "sources":[{"name":"api","status":"reloaded","serial":"0A1B","previous_serial":"09FF"},
    ///             {"name":"web","status":"failed","reason":"/etc/certs/web.pem: ...","serving_serial":"77"}],
    ///  "problems":[]}
    /// ```
    ///
    /// `status` is `unchanged`, `reloaded` (new content or a new source; `previous_serial` is `null` for a
    /// new one), `removed` or `failed` (with `reason`, and `serving_serial`: what is still served, or `null`).
    public func json(certificates: Int) -> String {
        var sources: [String] = []
        for (name, outcome) in outcomes {
            var fields = ["\"name\":\(JSONText.quote(name))", "\"status\":\(JSONText.quote(outcome.status))"]
            switch outcome {
            case .unchanged:
                break
            case .added(let serial):
                fields.append("\"serial\":\(JSONText.quote(serial))")
                fields.append("\"previous_serial\":null")
            case .replaced(let old, let new):
                fields.append("\"serial\":\(JSONText.quote(new))")
                fields.append("\"previous_serial\":\(JSONText.quote(old))")
            case .removed(let serial):
                fields.append("\"previous_serial\":\(JSONText.quote(serial))")
            case .failed(let reason, let serving, _):
                fields.append("\"reason\":\(JSONText.quote(reason))")
                fields.append("\"serving_serial\":\(serving.map(JSONText.quote) ?? "null")")
            }
            sources.append("{" + fields.joined(separator: ",") + "}")
        }
        let problemList = problems.map { JSONText.quote($0.reason) }.joined(separator: ",")
        return "{\"result\":\(JSONText.quote(result.rawValue)),\"trigger\":\(JSONText.quote(trigger.rawValue)),"
            + "\"duration_seconds\":\(duration.seconds),\"certificates\":\(certificates),"
            + "\"sources\":[\(sources.joined(separator: ","))],\"problems\":[\(problemList)]}\n"
    }
}
