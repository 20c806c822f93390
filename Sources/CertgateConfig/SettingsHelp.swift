import Foundation

/// `--help` and the docs' flag table, both written from the setting table.
public enum SettingsHelp {
    /// The settings of `certgate run`/`check` by group, laid out like ArgumentParser's own option lists
    /// (flag column, then the help wrapped at `width`).
    public static func options(width: Int = 78) -> String {
        let column = 26
        var out: [String] = []
        for group in SettingGroup.allCases {
            let settings = Settings.all.map(\.info).filter { $0.group == group && !$0.flags.isEmpty }
            guard !settings.isEmpty else { continue }
            out.append(group.rawValue.uppercased() + ":")
            for info in settings {
                let flags =
                    "  "
                    + (info.flags.map { $0 + (info.valueName.isEmpty ? "" : " <\(info.valueName)>") }
                    + (info.negatedFlag.map { [$0] } ?? []))
                    .joined(separator: " ")
                var help = info.help
                if info.defaultText == "required" {
                    help += " Required."
                } else {
                    help += " (default: \(info.defaultText))"
                }
                if let variable = info.environmentVariable { help += " [\(variable)]" }
                let lines = wrap(help, width: width - column)
                if flags.count + 2 <= column {
                    out.append(flags.padding(toLength: column, withPad: " ", startingAt: 0) + lines[0])
                    out += lines.dropFirst().map { String(repeating: " ", count: column) + $0 }
                } else {
                    out.append(flags)
                    out += lines.map { String(repeating: " ", count: column) + $0 }
                }
            }
            out.append("")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The docs' table of every setting, Markdown.
    public static func markdownTable() -> String {
        var rows = [
            "| Flag | YAML key | Variable | Type | Default | Reload | Example |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for info in Settings.all.map(\.info) {
            let cells = [
                flagCell(info),
                info.inFile ? "`\(info.key)`" : "—",
                info.environmentVariable.map { "`\($0)`" } ?? "—",
                info.type,
                info.defaultText,
                info.reload == .live ? "live" : "restart",
                "`\(info.example)`",
            ]
            rows.append(
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return rows.joined(separator: "\n") + "\n"
    }

    private static func flagCell(_ info: SettingInfo) -> String {
        guard !info.flags.isEmpty else { return "—" }
        let placeholders: Set<Substring> = [
            "duration", "n", "host:port", "file", "dir", "name", "list", "level", "pattern",
        ]
        let value = info.valueName.split(separator: "|").map {
            placeholders.contains($0) ? $0.uppercased() : String($0)
        }
        .joined(separator: "|")
        let flags = info.flags.map { $0 + (value.isEmpty ? "" : " " + value) }.joined(separator: " ")
        if let negated = info.negatedFlag {
            return "`\(flags)`, `\(negated)`"
        }
        switch info.form {
        case .list: return "`\(flags)` (repeatable)"
        case .structured: return "`\(flags)` (repeatable pairs)"
        default: return "`\(flags)`"
        }
    }

    /// Words of `text` in lines of at most `width` characters (a longer word gets a line of its own).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
        return lines
    }
}
