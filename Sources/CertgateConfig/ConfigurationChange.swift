/// What a configuration reload changes, setting by setting: the running configuration against the one
/// just resolved from the same flags and variables and the re-read file.
///
/// Settings marked `live` in the table take their new value; a changed `restart` setting (listen
/// address, workers, admin listener) is reported and keeps its running value, so `effective` is always a
/// configuration this process can run with.
public struct ConfigurationChange: Sendable {
    /// The keys of the changed `live` settings, in table order.
    public let applied: [String]
    /// The keys of the changed settings that need a restart, in table order.
    public let needsRestart: [String]
    /// The configuration to run with from now on.
    public let effective: ProxyConfiguration

    public init(running: ProxyConfiguration, loaded: ProxyConfiguration) {
        var applied: [String] = []
        var needsRestart: [String] = []
        var effective = loaded
        for setting in Settings.all where setting.differs(running, loaded) {
            switch setting.info.reload {
            case .live:
                applied.append(setting.info.key)
            case .restart:
                needsRestart.append(setting.info.key)
                setting.copy(from: running, to: &effective)
            }
        }
        self.applied = applied
        self.needsRestart = needsRestart
        self.effective = effective
    }

    /// Whether nothing changed at all.
    public var isEmpty: Bool { applied.isEmpty && needsRestart.isEmpty }

    /// Whether any of `settings` changed (and applies).
    public func changed(_ settings: any AnySetting...) -> Bool {
        settings.contains { applied.contains($0.info.key) }
    }
}
