import ArgumentParser
import CertgateTLS
import LibEV

/// `certgate version`: what is running, including the C libraries it is linked against.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the certgate, OpenSSL and libev versions."
    )

    func run() throws {
        print("certgate \(CertgateVersion.current)")
        print(TLSServerContext.libraryVersion)
        print("libev \(EventLoop.libraryVersion)")
    }
}
