import Testing

@testable import CertgateConfig

/// `--tickets` / `--no-tickets`, `--ticket-keys` and `--ticket-lifetime`. The key file's contents are
/// checked when it is loaded (CertgateTLSTests, TicketKeyFileTests).
@Suite("Session ticket settings")
struct TicketSettingsTests: ResolvesMinimalConfiguration {
    @Test func defaultsAreTicketsOnRandomKeysTwoHours() throws {
        let configuration = try resolve()
        #expect(configuration.tickets)
        #expect(configuration.ticketKeys == nil)
        #expect(configuration.ticketLifetime == .seconds(7200))
    }

    @Test func flagsAndFileSetThem() throws {
        #expect(try resolve(["--no-tickets"]).tickets == false)
        #expect(try resolve(["--tickets", "false"]).tickets == false)
        #expect(try resolve(yaml: "tickets: false\n").tickets == false)
        #expect(try resolve(["--ticket-keys", "keys/ticket.keys"]).ticketKeys == "/srv/keys/ticket.keys")
        #expect(try resolve(yaml: "ticket-keys: ticket.keys\n").ticketKeys == "/etc/ticket.keys")
        #expect(try resolve(["--ticket-lifetime", "1h30m"]).ticketLifetime == .seconds(5400))
        #expect(try resolve(["--ticket-lifetime", "7d"]).ticketLifetime == .seconds(7 * 86_400))
        #expect(try resolve(yaml: "ticket-lifetime: 600\n").ticketLifetime == .seconds(600))
    }

    @Test(arguments: ["8d", "0s", "500ms", "2 h"])
    func aLifetimeOutOfRangeIsAOneLineErrorNamingTheFlag(text: String) {
        #expect {
            try resolve(["--ticket-lifetime", text])
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("--ticket-lifetime: ") && !message.contains("\n")
        }
    }
}
