import ArgumentParser
import Glibc

/// A reason certgate cannot start, already phrased as one line naming the file, flag or key at fault.
struct StartupFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    init(_ error: any Error) {
        self.description = String(describing: error)
    }
}

/// Runs a command body; any failure becomes exactly one `certgate: error: ...` line on stderr and exit
/// status 1. ArgumentParser's own usage errors keep their status (64).
func runReportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let message = String(describing: error)
        let line = "certgate: error: " + message.replacingNewlines() + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        throw ExitCode(1)
    }
}

extension String {
    /// Keeps an error on one line whatever text a library gave us.
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
