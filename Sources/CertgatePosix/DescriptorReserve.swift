import Glibc

/// One spare file descriptor held back for the moment the process runs out of them.
///
/// At EMFILE/ENFILE a pending connection stays in the accept queue and a level-triggered listener would
/// spin on it. The reserve lets the listener accept it anyway and close it at once: release the spare,
/// accept and close the connection, take the spare back.
public final class DescriptorReserve {
    private var fd: Int32

    public init() {
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Accepts and immediately closes one pending connection using the spare descriptor. Returns whether
    /// a connection was shed.
    public func shedOne(from listener: Int32) -> Bool {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        var shed = false
        if case .done(let client) = Socket.accept(from: listener) {
            Glibc.close(Int32(client))
            shed = true
        }
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        return shed
    }
}
