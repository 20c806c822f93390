import Testing

@testable import CertgateConfig

/// `--groups` (`groups:`, `CERTGATE_GROUPS`): the key-exchange group list. The syntax is checked here;
/// whether OpenSSL knows each name is checked when the TLS context is built (CertgateTLSTests).
@Suite("--groups setting")
struct GroupsSettingTests: ResolvesMinimalConfiguration {
    @Test func unsetByDefaultAndTakenFromFlagsAndFile() throws {
        #expect(try resolve().groups == nil)
        #expect(try resolve(["--groups", "X25519"]).groups == "X25519")
        #expect(try resolve(yaml: "groups: P-384:P-256\n").groups == "P-384:P-256")
        #expect(Settings.groups.info.defaultText == "X25519:P-256:P-384")
        #expect(Settings.groups.info.reload == .live)
    }

    @Test(
        "a malformed list is a one-line error naming the flag and the bad name",
        arguments: [
            ("", "--groups: empty key-exchange group list"),
            ("X25519::P-256", "--groups: 'X25519::P-256' has an empty group name"),
            ("X25519:", "--groups: 'X25519:' has an empty group name"),
            ("X25519, P-256", "--groups: 'X25519, P-256' is not a group name; separate groups with colons"),
            ("X25519:P 256", "--groups: 'P 256' is not a group name"),
            ("P-256:P-256", "--groups: 'P-256' appears twice"),
        ]
    )
    func rejectsMalformedLists(text: String, expectedPrefix: String) {
        #expect {
            try resolve(["--groups", text])
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix(expectedPrefix) && !message.contains("\n")
        }
    }
}
