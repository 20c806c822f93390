import CertgatePosix
import Glibc
import Testing

@Suite("Listener socket options")
struct ListenerOptionsTests {
    @Test("accepted sockets inherit TCP_NODELAY from the listener (no setsockopt per connection)")
    func noDelayInherited() throws {
        let address = try #require(ResolvedAddress.resolve(host: "127.0.0.1", port: 0).first)
        let listener = try Socket.listen(on: address, reusePort: false)
        defer { Socket.close(listener) }
        let port = try #require(Socket.localPort(of: listener))
        let target = try #require(ResolvedAddress.resolve(host: "127.0.0.1", port: port).first)
        let client: Int32
        switch Socket.connect(to: target) {
        case .connected(let fd), .inProgress(let fd): client = fd
        case .failed(let code):
            Issue.record("connect failed: \(code)")
            return
        }
        defer { Socket.close(client) }
        var accepted: Int32 = -1
        for _ in 0..<200 where accepted < 0 {
            if case .done(let fd) = Socket.accept(from: listener) { accepted = Int32(fd) } else { usleep(5000) }
        }
        #expect(accepted >= 0)
        defer { if accepted >= 0 { Socket.close(accepted) } }
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &size) == 0)
        #expect(value == 1)
    }
}
