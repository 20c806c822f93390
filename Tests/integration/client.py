#!/usr/bin/env python3
"""Test clients for the certgate integration suite (Python 3 standard library only).

Every subcommand prints what it observed and exits 0 when the expectation held, 1 otherwise.
All connections go to 127.0.0.1.

  halfclose-a   client half-close: send data, close the write side, then read the upstream's later reply
  halfclose-b   upstream half-close: read to end of stream, then send data that must still reach the upstream
  echo          stream bytes to the raw upstream's ECHO mode while reading the echo (both directions at once)
  concurrent    N connections open at once (barrier after the handshakes), one request each
  hold          open N TLS connections, print "ready", keep them until stdin closes
  flood         open N plain TCP connections that never send a byte, keep them until a stop file exists
  idle          one keep-alive request, then silence: report whether and when the proxy closes the connection
  trickle       a handshake sent one byte per TCP segment, then a request
  stall-download  start a big download, stop reading until told to go on, then check what arrives
  garbage       random bytes / plain HTTP / partial ClientHello / silence, and observe the server's reaction
  comp          hand-made TLS 1.2 ClientHello offering DEFLATE compression; report what the server picks
  reneg         drive `openssl s_client -tls1_2` and ask for a renegotiation ("R"); report the outcome
  churn         T threads, each opening a new verified connection per request in a loop until a stop file
                exists; counts answers, errors and the distinct certificate serials seen
"""
import argparse
import hashlib
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upstream import stream  # noqa: E402  (the deterministic byte stream)

MIB = 1 << 20


def log(msg):
    print(msg, flush=True)


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def client_context(ca, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def stream_bytes(n):
    return b"".join(stream(n))


class TLSConn:
    """TLS over a plain socket through memory BIOs, so that every record and every half-close is
    under our control (SSLSocket.unwrap() would block waiting for the peer's close_notify and would
    silently discard application data that arrives meanwhile)."""

    def __init__(self, port, sni, ca, timeout=10.0, tls12=False, trickle=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inb = ssl.MemoryBIO()
        self.outb = ssl.MemoryBIO()
        ctx = client_context(ca, ssl.TLSVersion.TLSv1_2 if tls12 else None)
        self.obj = ctx.wrap_bio(self.inb, self.outb, server_hostname=sni)
        self.tcp_eof = False
        self.trickle = trickle  # send the handshake one byte per TCP segment
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._fill():
                    raise ConnectionError("connection closed during the handshake")
        self._flush()
        self.trickle = False
        self.version = self.obj.version()

    def _flush(self):
        data = self.outb.read()
        if data and self.trickle:
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
                time.sleep(0.001)
        elif data:
            self.sock.sendall(data)

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            self.tcp_eof = True
            self.inb.write_eof()
            return False
        self.inb.write(d)
        return True

    def send(self, data):
        view = memoryview(data)
        while view:
            n = self.obj.write(view[:65536])
            view = view[n:]
            self._flush()

    def recv(self):
        """Application data; b"" at close_notify. Raises ssl.SSLEOFError on TCP EOF without close_notify."""
        while True:
            try:
                d = self.obj.read(65536)
                self._flush()
                return d
            except ssl.SSLWantReadError:
                self._flush()
                if self.tcp_eof:
                    raise ssl.SSLEOFError("TCP EOF without close_notify")
                self._fill()
            except ssl.SSLZeroReturnError:
                self._flush()
                return b""

    def send_close_notify(self):
        """Send our close_notify and keep the read side usable."""
        try:
            self.obj.unwrap()  # first SSL_shutdown sends close_notify; the second wants to read
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def shutdown_tcp_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def wait_tcp_eof(self, timeout):
        """After the TLS stream ended: wait until the peer closes the TCP connection."""
        deadline = time.time() + timeout
        while not self.tcp_eof and time.time() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return "reset"
            if not d:
                self.tcp_eof = True
        return "eof" if self.tcp_eof else "open"


def read_to_end(conn, limit=64 * MIB):
    data = bytearray()
    how = "close_notify"
    try:
        while True:
            d = conn.recv()
            if not d:
                break
            data += d
            if len(data) > limit:
                break
    except ssl.SSLEOFError:
        how = "eof-without-close_notify"
    except ssl.SSLError as e:
        how = "tls-error (%s)" % e
    except socket.timeout:
        how = "timeout"
    except ConnectionResetError:
        how = "reset"
    return bytes(data), how


def wait_record(path, prefix, timeout):
    """Wait until the upstream's record file has a line whose event starts with prefix."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                for line in f:
                    ev = line.split(" ", 1)[1].strip()
                    if ev.startswith(prefix):
                        return ev
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    return None


def record_events(path):
    try:
        with open(path) as f:
            return [line.split(" ", 1)[1].strip() for line in f]
    except FileNotFoundError:
        return []


# ----------------------------------------------------------------------------------------------
def cmd_halfclose_a(a):
    """Client half-close. The raw upstream (EOFREPLY) answers only after it has seen EOF, 300 ms later;
    the answer must still reach us although our write side is closed."""
    payload = stream_bytes(MIB)
    want = hashlib.sha256(payload).hexdigest()
    conn = TLSConn(a.port, a.sni, a.ca, tls12=a.tls12)
    log("connected with %s" % conn.version)
    conn.send(("EOFREPLY %s\n" % a.id).encode())
    conn.send(payload)
    if a.variant in ("notify", "notify+fin"):
        conn.send_close_notify()
        log("sent close_notify")
    if a.variant in ("fin", "notify+fin"):
        conn.shutdown_tcp_write()
        log("sent TCP FIN (shutdown SHUT_WR)")
    recfile = os.path.join(a.record, a.id + ".log")
    ev = wait_record(recfile, "eof", 10)
    if ev is None:
        die("upstream never saw EOF after the client's half-close (record: %s)" % record_events(recfile))
    log("upstream recorded: " + ev)
    if ev != "eof bytes=%d sha256=%s" % (len(payload), want):
        die("upstream received different bytes: %s, expected bytes=%d sha256=%s" % (ev, len(payload), want))
    data, how = read_to_end(conn)
    line, _, tail = data.partition(b"\n")
    expect_line = ("saw-eof bytes=%d sha256=%s" % (len(payload), want)).encode()
    log("reply line: %r; tail %d bytes; stream ended by %s" % (line[:120], len(tail), how))
    if line != expect_line:
        die("reply after half-close: expected %r, got %r" % (expect_line, line[:200]))
    if tail != stream_bytes(256 * 1024):
        die("reply tail after half-close: expected 262144 bytes of the stream, got %d bytes (or different content)" % len(tail))
    if how != "close_notify":
        die("after the upstream closed, expected close_notify from the proxy, got %s" % how)
    if a.variant == "notify":
        # We never sent a FIN: the proxy must close its side of TCP once both directions are done.
        conn.shutdown_tcp_write()
    state = conn.wait_tcp_eof(10)
    if state == "open":
        die("proxy did not close the TCP connection after both directions finished")
    log("OK: half-close (%s) propagated; later reply intact; connection closed (%s)" % (a.variant, state))


def cmd_halfclose_b(a):
    """Upstream half-close. The raw upstream (SHUTFIRST) sends a response and shuts down its write side;
    we must see the end of stream as a close_notify, and then our data must still reach the upstream
    while our connection stays open."""
    conn = TLSConn(a.port, a.sni, a.ca, tls12=a.tls12)
    log("connected with %s" % conn.version)
    conn.send(("SHUTFIRST %s\n" % a.id).encode())
    data, how = read_to_end(conn)
    expect = b"upstream-first\n" + stream_bytes(64 * 1024)
    log("received %d bytes, stream ended by %s" % (len(data), how))
    if data != expect:
        die("upstream's response: expected %d bytes, got %d (or different content)" % (len(expect), len(data)))
    if how != "close_notify":
        die("upstream's SHUT_WR must arrive as a TLS close_notify, got %s" % how)
    recfile = os.path.join(a.record, a.id + ".log")
    if wait_record(recfile, "shut_wr", 5) is None:
        die("upstream record has no shut_wr: %s" % record_events(recfile))
    payload = stream_bytes(MIB)
    want = hashlib.sha256(payload).hexdigest()
    try:
        conn.send(payload)
    except OSError as e:
        die("sending after the upstream's half-close failed: %s" % e)
    log("sent %d bytes after end of stream" % len(payload))
    ev = wait_record(recfile, "data total=%d " % len(payload), 10)
    if ev is None:
        die("data sent after the upstream's half-close did not reach it (record: %s)" % record_events(recfile)[-3:])
    if ev != "data total=%d sha256=%s" % (len(payload), want):
        die("upstream got different bytes: %s" % ev)
    if any(e.startswith("eof") or e.startswith("error") for e in record_events(recfile)):
        die("upstream saw EOF/error although the client had not closed: %s" % record_events(recfile)[-3:])
    log("upstream received all of it while the client connection is still open: " + ev)
    conn.send_close_notify()
    conn.shutdown_tcp_write()
    ev = wait_record(recfile, "eof", 10)
    if ev is None:
        die("upstream never saw EOF after the client closed (record: %s)" % record_events(recfile)[-3:])
    log("upstream recorded: " + ev)
    state = conn.wait_tcp_eof(10)
    if state == "open":
        die("proxy did not close the TCP connection after both directions finished")
    log("OK: upstream half-close propagated as close_notify; client data flowed afterwards; closed (%s)" % state)


def cmd_echo(a):
    """Send N MiB to the ECHO upstream while reading the echo, both at once, over one connection."""
    total = a.mib * MIB
    conn = TLSConn(a.port, a.sni, a.ca, timeout=30)
    sock = conn.sock
    header = ("ECHO %s\n" % a.id).encode()
    src = stream(total)
    sent_h = hashlib.sha256()
    recv_h = hashlib.sha256()
    received = 0
    pending = bytearray()
    conn.obj.write(header)
    pending += conn.outb.read()
    done_sending = False
    notified = False
    ended = None
    sock.setblocking(False)
    last_progress = time.time()
    while ended is None:
        if not pending and not done_sending:
            try:
                chunk = next(src)
                sent_h.update(chunk)
                conn.obj.write(chunk)
                pending += conn.outb.read()
            except StopIteration:
                done_sending = True
        if done_sending and not pending and not notified and received == total:
            # Everything came back while both directions were busy; only now close our side.
            try:
                conn.obj.unwrap()
            except ssl.SSLWantReadError:
                pass
            pending += conn.outb.read()
            notified = True
        r, w, _ = select.select([sock], [sock] if pending else [], [], 1.0)
        if w:
            try:
                n = sock.send(pending)
                del pending[:n]
                last_progress = time.time()
            except BlockingIOError:
                pass
        if r:
            try:
                d = sock.recv(262144)
            except BlockingIOError:
                d = None
            except ConnectionResetError:
                ended = "reset"
                break
            if d == b"":
                conn.inb.write_eof()
            elif d:
                conn.inb.write(d)
            last_progress = time.time()
            while True:
                try:
                    plain = conn.obj.read(262144)
                except ssl.SSLWantReadError:
                    if d == b"":
                        ended = "eof-without-close_notify"
                    break
                except ssl.SSLZeroReturnError:
                    ended = "close_notify"
                    break
                recv_h.update(plain)
                received += len(plain)
            pending += conn.outb.read()
        if time.time() - last_progress > 20:
            die("no progress for 20 s: sent all=%s, received %d of %d bytes, ended=%s" % (done_sending, received, total, ended))
    log("echoed %d of %d bytes; stream ended by %s" % (received, total, ended))
    if received != total or recv_h.digest() != sent_h.digest():
        die("echo differs: received %d bytes (sha256 %s), sent %d (sha256 %s)"
            % (received, recv_h.hexdigest(), total, sent_h.hexdigest()))
    if ended != "close_notify":
        die("expected the echo stream to end with close_notify, got %s" % ended)
    log("OK: %d MiB each way at the same time, intact" % a.mib)


def cmd_concurrent(a):
    ctx = client_context(a.ca)
    barrier = threading.Barrier(a.n, timeout=60)
    results = [None] * a.n

    def one(i):
        try:
            raw = socket.create_connection(("127.0.0.1", a.port), timeout=60)
            s = ctx.wrap_socket(raw, server_hostname=a.sni)
            barrier.wait()  # all N handshakes done, all N connections open at once
            msg = "conn-%d-%s" % (i, os.urandom(4).hex())
            s.sendall(("GET /echo?msg=%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (msg, a.sni)).encode())
            resp = b""
            while True:
                try:
                    d = s.recv(65536)
                except ssl.SSLEOFError:
                    break
                if not d:
                    break
                resp += d
            s.close()
            body = resp.split(b"\r\n\r\n", 1)[-1]
            if not resp.startswith(b"HTTP/1.1 200") or body != ("echo %s\n" % msg).encode():
                results[i] = "wrong answer: %r" % resp[-200:]
            else:
                results[i] = "ok"
        except threading.BrokenBarrierError:
            results[i] = "barrier broken (another connection failed)"
        except Exception as e:  # noqa: BLE001 - report whatever happened to this connection
            results[i] = "%s: %s" % (type(e).__name__, e)
            try:
                barrier.abort()
            except Exception:  # noqa: BLE001
                pass

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.n)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(1 for r in results if r == "ok")
    log("%d of %d connections ok in %.2f s" % (ok, a.n, time.time() - t0))
    bad = [(i, r) for i, r in enumerate(results) if r != "ok"]
    for i, r in bad[:10]:
        log("  connection %d: %s" % (i, r))
    if bad:
        sys.exit(1)


def cmd_trickle(a):
    """Handshake bytes one per TCP segment (1 ms apart), then one request."""
    t0 = time.time()
    conn = TLSConn(a.port, a.sni, a.ca, trickle=True)
    log("handshake (%s) done byte by byte in %.2f s" % (conn.version, time.time() - t0))
    conn.send(("GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.sni).encode())
    data, how = read_to_end(conn)
    body = data.partition(b"\r\n\r\n")[2]
    log("response body %r, ended by %s" % (body, how))
    if body != b"hello from upstream\n":
        sys.exit(1)


def cmd_stall_download(a):
    """GET /big?mib=N, read the first bytes, print "stalled", stop reading until a line arrives on stdin,
    then read the rest and print "body <bytes> <sha256>"."""
    ctx = client_context(a.ca)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    raw.connect(("127.0.0.1", a.port))
    s = ctx.wrap_socket(raw, server_hostname=a.sni)
    s.sendall(("GET /big?mib=%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (a.mib, a.sni)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    log("stalled")
    sys.stdin.readline()
    h = hashlib.sha256()
    body = data.partition(b"\r\n\r\n")[2]
    h.update(body)
    n = len(body)
    while True:
        try:
            d = s.recv(1 << 20)
        except ssl.SSLEOFError:
            break
        if not d:
            break
        h.update(d)
        n += len(d)
    log("body %d %s" % (n, h.hexdigest()))


def cmd_hold(a):
    conns = [TLSConn(a.port, a.sni, a.ca) for _ in range(a.n)]
    log("ready %d" % len(conns))
    sys.stdin.read()
    for c in conns:
        try:
            c.send_close_notify()
            c.sock.close()
        except OSError:
            pass


def cmd_flood(a):
    socks = []
    for _ in range(a.n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        # The kernel completes the TCP handshake from the listen backlog: this succeeds whether or not
        # certgate ever accepts the connection.
        s.connect(("127.0.0.1", a.port))
        socks.append(s)
    log("ready %d" % len(socks))
    if a.ready:
        open(a.ready, "w").close()
    while not os.path.exists(a.stopfile):
        time.sleep(0.02)
    for s in socks:
        s.close()
    log("closed %d" % len(socks))


def cmd_idle(a):
    """GET /hello on a keep-alive connection, then nothing: prints "closed after S s" when the proxy ends
    the connection (close_notify, EOF or reset), or "open after S s" when --wait seconds pass first.
    Writes --ready FILE once the response is in. Exit 0 when the outcome is --expect."""
    ctx = client_context(a.ca)
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=a.sni)
    s.sendall(("GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n\r\n" % a.sni).encode())
    data = b""
    while not data.endswith(b"hello from upstream\n"):
        d = s.recv(65536)
        if not d:
            die("connection closed before the response")
        data += d
    t0 = time.time()
    if a.ready:
        open(a.ready, "w").write("ready\n")
    s.settimeout(a.wait)
    try:
        d = s.recv(65536)
        outcome = "closed" if not d else "data"
    except socket.timeout:
        outcome = "open"
    except (ssl.SSLError, ConnectionError):
        outcome = "closed"
    log("%s after %.2f s" % (outcome, time.time() - t0))
    if outcome != a.expect:
        sys.exit(1)


def client_hello(sni, compression=(1, 0), ciphers=(0xC02B, 0xC02F, 0xC02C, 0xC030)):
    """A TLS 1.2 ClientHello built by hand (so we can offer DEFLATE compression, which no stock client does)."""
    def u16(n):
        return n.to_bytes(2, "big")

    def ext(t, data):
        return u16(t) + u16(len(data)) + data

    body = b"\x03\x03" + os.urandom(32) + b"\x00"
    cs = b"".join(u16(c) for c in ciphers)
    body += u16(len(cs)) + cs + bytes([len(compression)]) + bytes(compression)
    exts = b""
    if sni:
        name = sni.encode()
        entry = b"\x00" + u16(len(name)) + name
        exts += ext(0, u16(len(entry)) + entry)
    groups = b"\x00\x1d\x00\x17"
    exts += ext(10, u16(len(groups)) + groups)
    exts += ext(11, b"\x01\x00")
    sigalgs = b"\x04\x03\x08\x04\x04\x01"
    exts += ext(13, u16(len(sigalgs)) + sigalgs)
    exts += ext(0xFF01, b"\x00")
    exts += ext(0x17, b"")
    body += u16(len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + u16(len(hs)) + hs


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise ConnectionError("EOF after %d of %d bytes" % (len(buf), n))
        buf += d
    return buf


def cmd_comp(a):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    s.sendall(client_hello(a.sni, compression=(1, 0)))
    hdr = recv_exact(s, 5)
    rtype, length = hdr[0], int.from_bytes(hdr[3:5], "big")
    rec = recv_exact(s, length)
    if rtype == 0x15:
        log("alert level=%d description=%d" % (rec[0], rec[1]))
        sys.exit(1)
    if rtype != 0x16 or rec[0] != 0x02:
        die("expected a ServerHello, got record type %d / handshake type %d" % (rtype, rec[0]))
    p = 4 + 2 + 32
    sid_len = rec[p]
    p += 1 + sid_len
    cipher = int.from_bytes(rec[p:p + 2], "big")
    comp = rec[p + 2]
    log("server hello: version=%s cipher=0x%04x compression=%d" % (rec[4:6].hex(), cipher, comp))
    s.close()


def cmd_garbage(a):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    if a.kind == "random":
        s.sendall(os.urandom(4096))
    elif a.kind == "http":
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: plain-http\r\n\r\n")
    elif a.kind == "partial":
        hello = client_hello("alpha.test")
        s.sendall(hello[: len(hello) // 2])
        s.close()  # vanish mid-handshake
        log("sent %d of %d ClientHello bytes and closed" % (len(hello) // 2, len(hello)))
        return
    elif a.kind == "silent":
        pass
    # Observe how the server ends this connection.
    deadline = time.time() + a.expect_close
    got = b""
    how = "still open"
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            how = "reset"
            break
        if not d:
            how = "eof"
            break
        got += d
    desc = "%d bytes back" % len(got)
    if got[:1] == b"\x15":
        desc += " (TLS alert, description %d)" % got[6] if len(got) >= 7 else " (TLS alert)"
    log("%s: server closed the connection: %s, %s after %.2f s" % (a.kind, how, desc, a.expect_close - max(0, deadline - time.time())))
    s.close()
    if how == "still open":
        sys.exit(1)


def cmd_reneg(a):
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % a.port, "-tls1_2", "-servername", a.sni]
    if a.ca:
        args += ["-CAfile", a.ca]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()

    def pump(until, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if until(bytes(out)):
                return True
            r, _, _ = select.select([p.stdout], [], [], 0.05)
            if r:
                d = os.read(p.stdout.fileno(), 65536)
                if not d:
                    return until(bytes(out))
                out.extend(d)
        return until(bytes(out))

    try:
        if not pump(lambda o: b"Verify return code" in o, 10):
            die("TLS 1.2 handshake did not complete: %r" % bytes(out)[-300:])
        mark = len(out)
        p.stdin.write(b"R\n")
        p.stdin.flush()
        # Renegotiated: s_client verifies the certificate again ("depth=0" after our mark).
        # Refused: the connection dies (s_client exits, usually with "no renegotiation").
        # Refused: the server answers with a no_renegotiation alert (s_client reports "no renegotiation")
        # or drops the connection.
        pump(lambda o: b"depth=0" in o[mark:] or b"no renegotiation" in o[mark:] or p.poll() is not None, 10)
        after = bytes(out[mark:]).decode(errors="replace")
        if "depth=0" in after:
            log("renegotiation: accepted")
        elif "no renegotiation" in after:
            log("renegotiation: refused (no_renegotiation alert)")
        elif p.poll() is not None:
            log("renegotiation: refused (connection closed)")
        else:
            log("renegotiation: no outcome within 10 s")
        log(after[-400:])
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def cmd_churn(a):
    """New connection per request (full handshake, certificate verified against --ca for --sni), from
    --threads threads, until --stopfile exists (or --max-seconds passed); --ready FILE is written after the
    first answer. Prints one summary line
    "requests=N errors=M serials=K seconds=S" and up to 10 error descriptions; exit 1 on any error
    or when no request at all was answered."""
    ctx = client_context(a.ca)
    lock = threading.Lock()
    stats = {"requests": 0, "errors": 0}
    serials = set()
    errors = []
    deadline = time.time() + a.max_seconds

    def one_request():
        raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        try:
            s = ctx.wrap_socket(raw, server_hostname=a.sni)
            serial = s.getpeercert().get("serialNumber", "?")
            s.sendall(("GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.sni).encode())
            resp = b""
            while True:
                try:
                    d = s.recv(65536)
                except ssl.SSLEOFError:
                    break
                if not d:
                    break
                resp += d
            s.close()
        finally:
            raw.close()
        if not resp.startswith(b"HTTP/1.1 200") or not resp.endswith(b"hello from upstream\n"):
            raise ValueError("wrong answer: %r" % resp[-200:])
        return serial

    def worker():
        while not os.path.exists(a.stopfile) and time.time() < deadline:
            try:
                serial = one_request()
                with lock:
                    stats["requests"] += 1
                    serials.add(serial)
                    if a.ready and stats["requests"] == 1:
                        with open(a.ready, "w") as f:
                            f.write("ready\n")
            except Exception as e:  # noqa: BLE001 - every failure counts, whatever it is
                with lock:
                    stats["errors"] += 1
                    if len(errors) < 10:
                        errors.append("%.3f %s: %s" % (time.time(), type(e).__name__, e))

    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log("requests=%d errors=%d serials=%d seconds=%.1f"
        % (stats["requests"], stats["errors"], len(serials), time.time() - t0))
    for e in errors:
        log("  error: " + e)
    if stats["errors"] or not stats["requests"]:
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add(name, fn):
        sp = sub.add_parser(name)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--sni", default="alpha.test")
        sp.add_argument("--ca", default="")
        sp.set_defaults(fn=fn)
        return sp

    sp = add("halfclose-a", cmd_halfclose_a)
    sp.add_argument("--variant", choices=["notify", "notify+fin", "fin"], default="notify")
    sp.add_argument("--id", required=True)
    sp.add_argument("--record", required=True)
    sp.add_argument("--tls12", action="store_true")
    sp = add("halfclose-b", cmd_halfclose_b)
    sp.add_argument("--id", required=True)
    sp.add_argument("--record", required=True)
    sp.add_argument("--tls12", action="store_true")
    add("trickle", cmd_trickle)
    sp = add("echo", cmd_echo)
    sp.add_argument("--mib", type=int, default=16)
    sp.add_argument("--id", default="echo")
    sp = add("concurrent", cmd_concurrent)
    sp.add_argument("-n", type=int, default=200)
    sp = add("stall-download", cmd_stall_download)
    sp.add_argument("--mib", type=int, default=64)
    sp = add("hold", cmd_hold)
    sp.add_argument("-n", type=int, default=1)
    sp = add("flood", cmd_flood)
    sp.add_argument("-n", type=int, default=400)
    sp.add_argument("--stopfile", required=True)
    sp.add_argument("--ready", default="", help="file written once every connection is open")
    sp = add("idle", cmd_idle)
    sp.add_argument("--wait", type=float, default=10.0)
    sp.add_argument("--expect", choices=["closed", "open"], required=True)
    sp.add_argument("--ready", default="")
    sp = add("garbage", cmd_garbage)
    sp.add_argument("--kind", choices=["random", "http", "partial", "silent"], required=True)
    sp.add_argument("--expect-close", type=float, default=10.0)
    add("comp", cmd_comp)
    add("reneg", cmd_reneg)
    sp = add("churn", cmd_churn)
    sp.add_argument("--threads", type=int, default=4)
    sp.add_argument("--stopfile", required=True)
    sp.add_argument("--max-seconds", type=float, default=60.0)
    sp.add_argument("--ready", default="", help="file written once the first request was answered")
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
