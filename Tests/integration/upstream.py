#!/usr/bin/env python3
"""Test upstream for the certgate integration suite (Python 3 standard library only).

  upstream.py http --port P [--record DIR]    HTTP/1.1 (keep-alive), one thread per connection:
      GET  /hello            -> "hello from upstream\\n"
      GET  /echo?msg=X       -> "echo X\\n"
      GET  /big?mib=N        -> N MiB of the deterministic stream (see `gen`), Content-Length set
      POST /upload           -> "sha256=<hex> bytes=<n>\\n" of the request body
  upstream.py raw --port P --record DIR [--banner]
      raw TCP (with --banner it first sends "BANNER certgate-test-upstream\\n" unasked);
      the first line the client sends picks the behaviour:
      EOFREPLY ID   read until EOF, record it, wait 300 ms, then reply
                    "saw-eof bytes=<n> sha256=<hex>\\n" followed by 256 KiB of the stream, and close.
      SHUTFIRST ID  send "upstream-first\\n" + 64 KiB of the stream, shutdown(SHUT_WR), then keep
                    reading, recording "data total=<n> sha256=<hex>" after every read and
                    "eof total=<n> sha256=<hex>" at EOF.
      ECHO ID       echo every byte back until EOF, then close.
      RESET ID      send 64 KiB of the stream, then abort the connection (RST).
    Events go to DIR/ID.log, one line each, flushed immediately.
  upstream.py oneshot --port P                 reads a request head (up to a blank line), answers it with ONE
      write of a small HTTP/1.0 response and closes, like `openssl s_server -www` (tlsfuzzer expects
      exactly one application data record per request).
  upstream.py blackhole --port P               a listener whose accept queue is full and never drained:
      connection attempts get no answer (SYNs dropped), so connecting to it times out.
  upstream.py gen MIB                          write MIB MiB of the deterministic stream to stdout.

Binds 127.0.0.1 only.
"""
import argparse
import hashlib
import http.server
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

MIB = 1 << 20


def block(i):
    """The i-th MiB of the deterministic stream (pseudo-random, so reordering or loss changes the hash)."""
    return random.Random(0x5EED0000 + i).randbytes(MIB)


def stream(nbytes):
    """Yield the first nbytes of the deterministic stream."""
    i = 0
    while nbytes > 0:
        b = block(i)
        if nbytes < MIB:
            b = b[:nbytes]
        yield b
        nbytes -= len(b)
        i += 1


class Recorder:
    lock = threading.Lock()

    def __init__(self, directory, ident):
        self.path = os.path.join(directory, os.path.basename(ident) + ".log")

    def write(self, line):
        with Recorder.lock, open(self.path, "a") as f:
            f.write("%.3f %s\n" % (time.time(), line))
            f.flush()


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "certgate-test-upstream"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, fmt, *args):
        pass

    def _reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/hello":
            self._reply(200, b"hello from upstream\n")
        elif url.path == "/echo":
            self._reply(200, ("echo %s\n" % query.get("msg", [""])[0]).encode())
        elif url.path == "/big":
            n = int(query.get("mib", ["64"])[0]) * MIB
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for chunk in stream(n):
                self.wfile.write(chunk)
        else:
            self._reply(404, b"not found\n")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/upload":
            self._reply(404, b"not found\n")
            return
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    d = self.rfile.read(min(left, MIB))
                    if not d:
                        raise ConnectionError("short chunked body")
                    h.update(d)
                    n += len(d)
                    left -= len(d)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                d = self.rfile.read(min(left, MIB))
                if not d:
                    raise ConnectionError("short body: %d bytes missing" % left)
                h.update(d)
                n += len(d)
                left -= len(d)
        self._reply(200, ("sha256=%s bytes=%d\n" % (h.hexdigest(), n)).encode())


class HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


class RawHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.banner:
            s.sendall(b"BANNER certgate-test-upstream\n")  # speak first, before the client sends anything
        buf = b""
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                return
            buf += d
        line, rest = buf.split(b"\n", 1)
        cmd, ident = line.decode().split()
        rec = Recorder(self.server.record_dir, ident)
        rec.write("accepted cmd=%s" % cmd)
        if cmd == "EOFREPLY":
            h = hashlib.sha256(rest)
            n = len(rest)
            while True:
                d = s.recv(65536)
                if not d:
                    break
                h.update(d)
                n += len(d)
            rec.write("eof bytes=%d sha256=%s" % (n, h.hexdigest()))
            time.sleep(0.3)  # the reply is really "later": the client's half-close is long done
            s.sendall(("saw-eof bytes=%d sha256=%s\n" % (n, h.hexdigest())).encode())
            for chunk in stream(256 * 1024):
                s.sendall(chunk)
            rec.write("replied")
            s.close()
        elif cmd == "SHUTFIRST":
            s.sendall(b"upstream-first\n")
            for chunk in stream(64 * 1024):
                s.sendall(chunk)
            s.shutdown(socket.SHUT_WR)
            rec.write("shut_wr")
            h = hashlib.sha256(rest)
            n = len(rest)
            if n:
                rec.write("data total=%d sha256=%s" % (n, h.hexdigest()))
            while True:
                try:
                    d = s.recv(65536)
                except ConnectionError as e:
                    rec.write("error %s" % e)
                    break
                if not d:
                    rec.write("eof total=%d sha256=%s" % (n, h.hexdigest()))
                    break
                h.update(d)
                n += len(d)
                rec.write("data total=%d sha256=%s" % (n, h.hexdigest()))
            s.close()
        elif cmd == "ECHO":
            if rest:
                s.sendall(rest)
            n = len(rest)
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
                n += len(d)
            rec.write("eof echoed=%d" % n)
            s.close()
        elif cmd == "RESET":
            for chunk in stream(64 * 1024):
                s.sendall(chunk)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            rec.write("reset")
            s.close()
        else:
            rec.write("unknown command")
            s.close()


class OneShotHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        # Corked until the shutdown: the response and the FIN leave in one segment, so the proxy sees the
        # end of the stream with the response and closes its TLS side at once (as s_server -www does).
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        buf = b""
        while b"\n\n" not in buf.replace(b"\r\n", b"\n"):
            d = s.recv(4096)
            if not d:
                return
            buf += d
        body = b"hello from upstream\n"
        s.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        s.shutdown(socket.SHUT_WR)
        s.close()


class RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def blackhole(port):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", port))
    lsock.listen(0)
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", lsock.getsockname()[1]))
        except BlockingIOError:
            pass
        fillers.append(c)
    print("blackhole on 127.0.0.1:%d" % lsock.getsockname()[1], flush=True)
    while True:
        time.sleep(3600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["http", "raw", "oneshot", "blackhole", "gen"])
    ap.add_argument("mib", nargs="?", type=int, default=64)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record", default=".")
    ap.add_argument("--banner", action="store_true", help="raw mode: greet every connection first")
    a = ap.parse_args()
    if a.mode == "gen":
        out = sys.stdout.buffer
        for chunk in stream(a.mib * MIB):
            out.write(chunk)
        out.flush()
        return
    if a.mode == "blackhole":
        blackhole(a.port)
        return
    cls, handler = {"http": (HTTPServer, HTTPHandler), "oneshot": (RawServer, OneShotHandler)}.get(
        a.mode, (RawServer, RawHandler))
    srv = cls(("127.0.0.1", a.port), handler)
    srv.record_dir = a.record
    srv.banner = a.banner
    print("upstream %s listening on 127.0.0.1:%d" % (a.mode, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
