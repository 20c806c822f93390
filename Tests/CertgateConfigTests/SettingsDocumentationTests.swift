import Foundation
import Testing

@testable import CertgateConfig

/// The flag table of docs/configuration.md is generated from `Settings`; this fails when the checked-in
/// copy differs. `CERTGATE_UPDATE_DOCS=1 swift test --filter SettingsDocumentation` rewrites it.
@Suite("Settings documentation")
struct SettingsDocumentationTests {
    static let docsPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/configuration.md").path
    static let begin = "<!-- settings table: generated from Sources/CertgateConfig/Settings*.swift -->\n"
    static let end = "<!-- end of settings table -->\n"

    @Test("docs/configuration.md holds the generated table")
    func docsTableIsCurrent() throws {
        let text = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        let start = try #require(text.range(of: Self.begin), "the begin marker")
        let stop = try #require(text.range(of: Self.end, range: start.upperBound..<text.endIndex), "the end marker")
        let generated = SettingsHelp.markdownTable()
        if ProcessInfo.processInfo.environment["CERTGATE_UPDATE_DOCS"] == "1" {
            let updated = text.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: generated)
            try updated.write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            String(text[start.upperBound..<stop.lowerBound]) == generated,
            "docs/configuration.md is stale: run CERTGATE_UPDATE_DOCS=1 swift test --filter SettingsDocumentation")
    }

    @Test("every setting with a flag is in --help once, under its group, with its default and variable")
    func helpListsEverySetting() {
        let help = SettingsHelp.options()
        for info in Settings.all.map(\.info) where !info.flags.isEmpty {
            let lines = help.split(separator: "\n").filter {
                $0.hasPrefix("  " + info.flags[0] + " ") || $0 == "  " + info.flags[0]
            }
            #expect(lines.count == 1, "\(info.flag)")
            if let variable = info.environmentVariable {
                #expect(help.contains("[\(variable)]"), "\(variable)")
            }
        }
        for group in SettingGroup.allCases {
            #expect(help.contains(group.rawValue.uppercased() + ":"))
        }
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 78 })
    }

    @Test("the table has one row per setting and marks which ones a reload changes")
    func tableRows() {
        let rows = SettingsHelp.markdownTable().split(separator: "\n").dropFirst(2)
        #expect(rows.count == Settings.all.count)
        #expect(rows.contains { $0.contains("`--listen HOST:PORT`") && $0.contains("| restart |") })
        #expect(rows.contains { $0.contains("`--connect-timeout DURATION`") && $0.contains("| live |") })
        #expect(rows.contains { $0.contains("`CERTGATE_ROOTS_MAX_AGE`") })
    }
}
