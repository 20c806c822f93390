import ArgumentParser

/// `certgate`: the command-line entry point.
@main
struct CertgateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certgate",
        abstract: "A TLS-terminating reverse proxy that picks up certificate rotations on its own.",
        discussion: """
            certgate accepts TLS connections, chooses the certificate per handshake from the client's SNI \
            name, and forwards the plaintext to one upstream TCP address.

            Example:
              certgate run --listen 0.0.0.0:443 --upstream 127.0.0.1:8080 --cert-dir /etc/certgate/certs

            Configuration reference: docs/configuration.md
            """,
        version: CertgateVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, HealthCommand.self, VersionCommand.self]
    )
}

/// certgate's own version.
enum CertgateVersion {
    static let current = "0.1.0"
}
