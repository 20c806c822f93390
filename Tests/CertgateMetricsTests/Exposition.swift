import Prometheus
import Testing

/// A parsed Prometheus text exposition, so the tests can assert on metric families and series values
/// instead of substrings: `# HELP` / `# TYPE` per family, and every sample line as name, labels, value.
///
/// Accepts the subset the registry writes: label values without escaped quotes or commas (certgate's label
/// values are fixed strings, paths and hex), one sample per line.
struct Exposition {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    private(set) var help: [String: String] = [:]
    private(set) var type: [String: String] = [:]
    private(set) var samples: [Sample] = []
    /// Lines that are neither comments nor parseable samples (must stay empty).
    private(set) var malformed: [String] = []
    /// Families with more than one `# HELP` or `# TYPE` line (must stay empty: one header per family).
    private(set) var repeatedHeaders: [String] = []

    init(_ bytes: [UInt8]) {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                if help[name] != nil { repeatedHeaders.append(name) }
                help[name] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2 else {
                    malformed.append(String(line))
                    continue
                }
                if type[String(parts[0])] != nil { repeatedHeaders.append(String(parts[0])) }
                type[String(parts[0])] = String(parts[1])
            } else if let sample = Self.sample(line) {
                samples.append(sample)
            } else {
                malformed.append(String(line))
            }
        }
    }

    /// Everything `registry` exports now, parsed; an issue is recorded for any malformed line or any
    /// family with more than one header.
    static func scrape(
        _ registry: PrometheusCollectorRegistry,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Exposition {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return checked(buffer, sourceLocation: sourceLocation)
    }

    /// `bytes` parsed, with the checks of `scrape`.
    static func checked(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Exposition {
        let exposition = Exposition(bytes)
        #expect(exposition.malformed.isEmpty, sourceLocation: sourceLocation)
        #expect(
            exposition.repeatedHeaders.isEmpty, "one HELP and one TYPE line per family",
            sourceLocation: sourceLocation)
        return exposition
    }

    /// The value of the one series of `name` with exactly `labels`; `nil` when there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { $0.name == name && $0.labels == labels }
        return matching.count == 1 ? matching[0].value : nil
    }

    /// Every series of `name`, as label sets (values aside).
    func labelSets(_ name: String) -> Set<[String: String]> {
        Set(series(name).map(\.labels))
    }

    /// Every series of `name`.
    func series(_ name: String) -> [Sample] {
        samples.filter { $0.name == name }
    }

    private static func sample(_ line: Substring) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let open = series.firstIndex(of: "{") else {
            return Sample(name: String(series), labels: [:], value: value)
        }
        guard series.last == "}" else { return nil }
        var labels: [String: String] = [:]
        let body = series[series.index(after: open)..<series.index(before: series.endIndex)]
        for pair in body.split(separator: ",") {
            guard let equals = pair.firstIndex(of: "="), pair.last == "\"",
                pair[pair.index(after: equals)] == "\""
            else { return nil }
            let key = String(pair[..<equals])
            let quoted = pair[pair.index(equals, offsetBy: 2)..<pair.index(before: pair.endIndex)]
            labels[key] = String(quoted)
        }
        return Sample(name: String(series[..<open]), labels: labels, value: value)
    }
}
