#!/usr/bin/env python3
"""HTTP/1.1 test upstream for the --forward-headers cases (Python 3 standard library only).

  http_upstream.py --port P --log FILE

Reads the raw byte stream of each connection and splits the requests itself (it does not trust any
HTTP library to be as strict, or as lenient, as the bytes really are):
  - a head is everything up to the first CR LF CR LF (a bare-LF head is never recognised: the
    connection is logged as "junk" and closed);
  - the body is framed by Content-Length (the first one) or decoded from chunked
    (Transfer-Encoding containing "chunked"), trailers included.
Each request is answered (in order, keep-alive unless the request says Connection: close or is
HTTP/1.0) with 200 and a JSON body:
  {"conn": N, "seq": K, "head": "<raw head text, request line to the last field line>",
   "body_len": n, "body_sha256": "<hex>", "chunked": bool,
   "raw_body": "<body bytes exactly as received, latin-1, only when at most 4 KiB>"}
A connection whose first bytes are the HTTP/2 client preface ("PRI * HTTP/2.0...") is not HTTP/1.1:
every byte of it is echoed back unchanged until EOF.
Protocol upgrades (after the request's body, if any):
  - a request with an Upgrade field whose target starts with "/ws" is answered
    "HTTP/1.1 101 Switching Protocols" (Upgrade: <the request's value>, Connection: Upgrade), and from then
    on every byte of the connection is echoed back unchanged until EOF;
  - CONNECT is answered "HTTP/1.1 200 Connection established" (no body), then echo likewise;
  - an Upgrade request to any other target is declined: the ordinary JSON 200, and the connection stays HTTP.

FILE gets one JSON line per event, flushed at once:
  {"conn": N, "event": "request", "seq": K, "target": "...", "head": "...", "body_len": n, "body_sha256": "...",
   "buffered": <bytes already received after this request when it was complete>,
   "upgrade": "switched" | "declined" | null}
  {"conn": N, "event": "eof", "requests": K, "leftover": <bytes received after the last complete request>}
  {"conn": N, "event": "echo_eof", "echoed": n, "sha256": "...", "first": "<first 512 echoed bytes, latin-1>",
   "after_requests": K (only after an upgrade: the requests before the tunnel), "error": "<exception name, if any>"}
Binds 127.0.0.1 only.
"""
import argparse
import hashlib
import itertools
import json
import socket
import socketserver
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
RAW_BODY_LIMIT = 4096


class Incomplete(Exception):
    """Not enough bytes for the current step yet."""


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def take_until(self, marker):
        """The bytes up to and including marker (reading more as needed); None at EOF."""
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                out = bytes(self.buf[: i + len(marker)])
                del self.buf[: i + len(marker)]
                return out
            start = max(0, len(self.buf) - len(marker) + 1)
            if not self.fill():
                return None

    def take(self, n, sink):
        """n bytes into sink(bytes); False at EOF before that."""
        while n > 0:
            if not self.buf and not self.fill():
                return False
            part = bytes(self.buf[:n])
            del self.buf[: len(part)]
            sink(part)
            n -= len(part)
        return True


class Handler(socketserver.BaseRequestHandler):
    counter = itertools.count(1)
    log_lock = threading.Lock()

    def log(self, obj):
        with Handler.log_lock, open(self.server.log_path, "a") as f:
            f.write(json.dumps(obj) + "\n")
            f.flush()

    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = next(Handler.counter)
        c = Conn(s)
        while len(c.buf) < len(PREFACE) and c.buf == PREFACE[: len(c.buf)]:
            if not c.fill():
                break
        if c.buf.startswith(PREFACE):
            self.echo(cid, c)
            return
        seq = 0
        while True:
            if not c.buf and not c.fill():
                self.log({"conn": cid, "event": "eof", "requests": seq, "leftover": 0})
                break
            head = c.take_until(b"\r\n\r\n")
            if head is None:
                self.log({"conn": cid, "event": "eof", "requests": seq, "leftover": len(c.buf),
                          "junk": c.buf[:512].decode("latin-1")})
                break
            seq += 1
            text = head[:-4].decode("latin-1")
            lines = text.split("\r\n")
            request_line = lines[0]
            fields = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields.append((name.strip().lower(), value.strip()))
            parts = request_line.split(" ")
            target = parts[1] if len(parts) > 1 else ""
            version = parts[2] if len(parts) > 2 else ""
            h = hashlib.sha256()
            n = 0
            raw = bytearray()

            def sink(b):
                nonlocal n
                h.update(b)
                n += len(b)

            def keep_raw(b):
                if len(raw) <= RAW_BODY_LIMIT:
                    raw.extend(b[: RAW_BODY_LIMIT + 1 - len(raw)])

            te = ",".join(v.lower() for k, v in fields if k == "transfer-encoding")
            cl = [v for k, v in fields if k == "content-length"]
            chunked = "chunked" in te
            ok = True
            if chunked:
                while ok:
                    size_line = c.take_until(b"\r\n")
                    if size_line is None:
                        ok = False
                        break
                    keep_raw(size_line)
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while True:
                            line = c.take_until(b"\r\n")
                            if line is None:
                                ok = False
                                break
                            keep_raw(line)
                            if line == b"\r\n":
                                break
                        break
                    ok = c.take(size, lambda b: (sink(b), keep_raw(b)))
                    crlf = c.take_until(b"\r\n") if ok else None
                    if crlf is None:
                        ok = False
                    else:
                        keep_raw(crlf)
            elif cl:
                ok = c.take(int(cl[0]), lambda b: (sink(b), keep_raw(b)))
            if not ok:
                self.log({"conn": cid, "event": "eof", "requests": seq - 1, "leftover": -1, "short_body": True})
                break
            record = {"conn": cid, "seq": seq, "target": target, "head": text, "body_len": n,
                      "body_sha256": h.hexdigest(), "chunked": chunked}
            method = parts[0]
            upgrade_to = [v for k, v in fields if k == "upgrade"]
            switch = None
            if method == "CONNECT":
                switch = b"HTTP/1.1 200 Connection established\r\n\r\n"
            elif upgrade_to and target.startswith("/ws"):
                switch = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n"
                          % upgrade_to[0]).encode("latin-1")
            upgrade = "switched" if switch else ("declined" if upgrade_to else None)
            self.log(dict(record, event="request", buffered=len(c.buf), upgrade=upgrade))
            if switch:
                try:
                    s.sendall(switch)
                except OSError:
                    break
                self.echo(cid, c, after_requests=seq)
                return
            if len(raw) <= RAW_BODY_LIMIT:
                record["raw_body"] = raw.decode("latin-1")
            close = version == "HTTP/1.0" or any(k == "connection" and v.lower() == "close" for k, v in fields)
            body = json.dumps(record).encode()
            resp = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
                    % (len(body), "Connection: close\r\n" if close else "")).encode() + body
            try:
                s.sendall(resp)
            except OSError:
                break
            if close:
                self.log({"conn": cid, "event": "eof", "requests": seq, "leftover": len(c.buf), "closed": True})
                break
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def echo(self, cid, c, after_requests=None):
        h = hashlib.sha256()
        n = 0
        first = bytearray()
        reset = None
        try:
            while True:
                if c.buf:
                    data = bytes(c.buf)
                    c.buf.clear()
                    h.update(data)
                    n += len(data)
                    if len(first) < 512:
                        first.extend(data[: 512 - len(first)])
                    self.request.sendall(data)
                if not c.fill():
                    break
        except OSError as e:
            reset = type(e).__name__
        event = {"conn": cid, "event": "echo_eof", "echoed": n, "sha256": h.hexdigest(), "first": first.decode("latin-1")}
        if after_requests is not None:
            event["after_requests"] = after_requests
        if reset:
            event["error"] = reset
        self.log(event)
        try:
            self.request.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.log_path = a.log
    print("http upstream listening on 127.0.0.1:%d" % a.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
