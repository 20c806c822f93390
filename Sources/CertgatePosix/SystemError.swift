import Glibc

/// A failed system call: what was attempted and the errno it returned.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// "operation: Address already in use"
    public var description: String { "\(operation): \(Self.message(for: errno))" }

    public static func message(for code: Int32) -> String {
        String(cString: strerror(code))
    }
}
