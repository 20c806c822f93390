import Foundation
import Logging
import Synchronization
import Testing

@testable import CertgateLogging

/// Collects lines from a `LogSink` so tests can look at exactly what would have been written.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var sink: LogSink {
        LogSink { line in self.storage.withLock { $0.append(line) } }
    }
}

private func makeLogger(
    _ collector: LineCollector,
    format: LogOutputFormat = .text,
    level: Logger.Level = .info,
    metadataProvider: Logger.MetadataProvider? = nil
) -> Logger {
    Logger(label: "certgate") { label in
        CertgateLogging.makeHandler(
            label: label,
            format: format,
            level: level,
            metadataProvider: metadataProvider,
            sink: collector.sink,
            clock: { LogTimestamp(secondsSinceEpoch: 0, milliseconds: 5) }
        )
    }
}

@Suite("Log handler")
struct LineLogHandlerTests {
    @Test("handlers follow their LogControl: a level or format change reaches loggers made before it")
    func controlChangesLevelAndFormat() throws {
        let collector = LineCollector()
        let control = LogControl(format: .text, level: .info)
        let logger = Logger(label: "certgate") { label in
            LineLogHandler(
                label: label, control: control, sink: collector.sink,
                clock: { LogTimestamp(secondsSinceEpoch: 0, milliseconds: 5) })
        }
        logger.debug("hidden")
        control.level = .debug
        logger.debug("shown")
        control.format = .json
        control.level = .error
        logger.warning("hidden again")
        logger.error("as json")
        #expect(collector.lines.count == 2)
        #expect(collector.lines[0].hasSuffix("debug certgate: shown\n"))
        let json = try #require(collector.lines.last)
        #expect(json.hasPrefix("{") && json.contains("\"msg\":\"as json\""))
        // A copy whose level was set keeps it, whatever the control says.
        var own = logger
        own.logLevel = .trace
        own.trace("own level")
        #expect(collector.lines.count == 3)
    }

    @Test("records below the configured level are dropped")
    func levelFiltering() {
        let collector = LineCollector()
        let logger = makeLogger(collector, level: .warning)
        logger.debug("debug")
        logger.info("info")
        logger.notice("notice")
        logger.warning("warning")
        logger.error("error")
        #expect(
            collector.lines == [
                "1970-01-01T00:00:00.005Z warning certgate: warning\n",
                "1970-01-01T00:00:00.005Z error certgate: error\n",
            ]
        )
    }

    @Test("trace logs everything, critical only critical")
    func levelExtremes() {
        let all = LineCollector()
        let verbose = makeLogger(all, level: .trace)
        for level in Logger.Level.allCases {
            verbose.log(level: level, "x")
        }
        #expect(all.lines.count == Logger.Level.allCases.count)
        let few = LineCollector()
        let quiet = makeLogger(few, level: .critical)
        for level in Logger.Level.allCases {
            quiet.log(level: level, "x")
        }
        #expect(few.lines == ["1970-01-01T00:00:00.005Z critical certgate: x\n"])
    }

    @Test("the level is a value: changing one logger copy does not change another")
    func levelIsPerCopy() {
        let collector = LineCollector()
        let original = makeLogger(collector, level: .info)
        var louder = original
        louder.logLevel = .debug
        original.debug("hidden")
        louder.debug("shown")
        #expect(collector.lines == ["1970-01-01T00:00:00.005Z debug certgate: shown\n"])
    }

    @Test("record metadata beats provider metadata, which beats logger metadata")
    func metadataPrecedence() throws {
        let collector = LineCollector()
        let provider = Logger.MetadataProvider { ["request": "from-provider", "provided": "p"] }
        var logger = makeLogger(collector, format: .json, metadataProvider: provider)
        logger[metadataKey: "request"] = "from-logger"
        logger[metadataKey: "worker"] = "3"
        logger.info("one", metadata: ["request": "from-record"])
        logger.info("two")
        let lines = collector.lines
        try #require(lines.count == 2)
        let first = try parseJSONLine(lines[0])
        #expect(first["request"] as? String == "from-record")
        #expect(first["worker"] as? String == "3")
        #expect(first["provided"] as? String == "p")
        let second = try parseJSONLine(lines[1])
        #expect(second["request"] as? String == "from-provider")
        #expect(second["msg"] as? String == "two")
    }

    @Test("each record reaches the sink as exactly one newline-terminated line")
    func oneLinePerRecord() {
        let collector = LineCollector()
        let logger = makeLogger(collector)
        logger.info("multi\nline", metadata: ["v": "a\nb"])
        #expect(collector.lines == ["1970-01-01T00:00:00.005Z info certgate: multi\\nline v=\"a\\nb\"\n"])
    }

    @Test("bootstrap by name rejects unknown names without bootstrapping")
    func bootstrapNames() {
        #expect(throws: LoggingSetupError("unknown log format 'xml'")) {
            try CertgateLogging.bootstrap(formatName: "xml", levelName: "info")
        }
        #expect(throws: LoggingSetupError("unknown log level 'loud'")) {
            try CertgateLogging.bootstrap(formatName: "json", levelName: "loud")
        }
    }

    @Test("concurrent writers to one descriptor never interleave lines")
    func concurrentWritesStayWhole() async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("certgate-log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let writers = 8
        let recordsPerWriter = 300
        let padding = String(repeating: "x", count: 400)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let logger = Logger(label: "certgate") { label in
                        CertgateLogging.makeHandler(
                            label: label, format: .json, level: .info, sink: .fileDescriptor(descriptor)
                        )
                    }
                    for record in 0..<recordsPerWriter {
                        logger.info("\(padding)", metadata: ["writer": "\(writer)", "record": "\(record)"])
                    }
                }
            }
        }
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == writers * recordsPerWriter)
        var seen = Set<String>()
        for line in lines {
            let object = try parseJSONLine(line + "\n")
            #expect(object["msg"] as? String == padding)
            seen.insert("\(object["writer"] as? String ?? "?")/\(object["record"] as? String ?? "?")")
        }
        #expect(seen.count == writers * recordsPerWriter)
    }
}
