extension Settings {
    static let accessLogSettings: [any AnySetting] = [accessLog, accessLogFile]

    // MARK: Access log

    public static let accessLog = Setting(
        "access-log", group: .runtime, valueName: "off|text|json", type: "enum", example: "json", reload: .live,
        help: "One line per client connection (per request with --forward-headers or HTTP/2) to --access-log-file: "
            + "text (logfmt key=value) or json (one object per line), or off. Buffered per worker and written "
            + "by a thread of its own: never a system call per line, never a wait on a worker.",
        keyPath: \.accessLog,
        parse: { text, _ throws(ConfigurationValueError) in
            try ValueParser.choice(text, AccessLogMode.self, what: "an access log format")
        },
        render: RenderedValue.choice)

    public static let accessLogFile = Setting(
        "access-log-file", group: .runtime, valueName: "file|-", type: "path, or - for stdout",
        default: "- (stdout)", example: "/var/log/certgate/access.log", reload: .live,
        help: "Where --access-log writes: a file, opened with O_APPEND and created if missing (mode 0640), "
            + "or - for stdout. The file is reopened on SIGHUP and POST /reload, for logrotate.",
        keyPath: \.accessLogFile,
        parse: { text, context throws(ConfigurationValueError) in
            text == "-" ? nil : try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: { $0.map(RenderedValue.text) ?? .text("-") })
}
