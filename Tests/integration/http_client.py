#!/usr/bin/env python3
"""Raw HTTP/1.1-over-TLS test client for the --forward-headers cases (Python 3 standard library only).

  http_client.py --port P --ca CA.crt [--sni NAME] [--alpn h2,http/1.1] [--cert C --key K]
                 [--step FILE:N[+T]]... [--tunnel-after K] [--until-eof] [--timeout S] [--raw-out FILE]
                 [--read-bytes N]

One TLS connection. Each --step sends the bytes of FILE in ONE write (so several requests in it are
pipelined), then reads until N more complete responses have arrived (N may be 0) and, with +T, until T
more tunnel bytes have arrived too. With --until-eof it then reads everything until the server closes
(at most --timeout seconds); with --read-bytes N it first reads until N bytes in all have arrived (for
raw echoes); otherwise it closes.
Responses are split by their Content-Length (every response in these tests has one, or has no body).
A 101 response is the last HTTP on the connection: every byte after its head is tunnel bytes, not
responses. So is every byte after the K-th response with --tunnel-after K (for CONNECT, whose 2xx the
client cannot tell from any other 2xx by itself).

Prints one JSON object:
  {"alpn": "<negotiated or null>", "eof": bool, "timed_out": bool,
   "responses": [{"status": 200, "status_line": "...", "head": "<raw head>", "headers": {lower: value},
                  "body": "<text>", "json": {...} or null}],
   "trailing": "<bytes after the last complete response, when no tunnel>",
   "tunnel": "<tunnel bytes, latin-1>" or null, "tunnel_len": n, "tunnel_sha256": "<hex>",
   "raw_len": n, "raw_sha256": "<hex of all bytes read>"}
Exit status 0 unless the connection could not be made.
"""
import argparse
import hashlib
import json
import socket
import ssl
import sys
import time


def parse(buf, tunnel_after=0):
    """Complete responses at the start of buf, the rest, and whether the rest is tunnel bytes (after a
    101, or after response number tunnel_after when not 0)."""
    out = []
    while True:
        if out and (out[-1]["status"] == 101 or len(out) == tunnel_after):
            return out, buf, True
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            break
        head = buf[:i].decode("latin-1")
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        if len(buf) < i + 4 + n:
            break
        body = buf[i + 4: i + 4 + n]
        buf = buf[i + 4 + n:]
        try:
            js = json.loads(body)
        except ValueError:
            js = None
        parts = lines[0].split(" ")
        out.append({"status": int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None,
                    "status_line": lines[0], "head": head, "headers": headers,
                    "body": body.decode("latin-1"), "json": js})
    return out, buf, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--sni", default="alpha.test")
    ap.add_argument("--alpn", default="")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--step", action="append", default=[])
    ap.add_argument("--until-eof", action="store_true")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--raw-out")
    ap.add_argument("--read-bytes", type=int, default=0, help="after the steps, read until this many bytes in all")
    ap.add_argument("--tunnel-after", type=int, default=0, help="every byte after response number K is tunnel bytes")
    a = ap.parse_args()

    ctx = ssl.create_default_context(cafile=a.ca)
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    s = ctx.wrap_socket(raw, server_hostname=a.sni)
    deadline = time.monotonic() + a.timeout
    data = b""
    responses = []
    eof = False
    timed_out = False
    eof_kind = None

    def read_more():
        nonlocal data, eof, timed_out, eof_kind
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            return False
        s.settimeout(left)
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            timed_out = True
            return False
        except (ConnectionResetError, ssl.SSLError) as e:
            sys.stderr.write("read ended: %r\n" % e)
            eof = True
            eof_kind = "error: %s" % type(e).__name__
            return False
        if not d:
            eof = True
            eof_kind = "clean"
            return False
        data += d
        return True

    alpn = alpn_of(s)
    rest = b""
    tunnel = False
    for step in a.step:
        path, _, count = step.rpartition(":")
        count, _, more_tunnel = count.partition("+")
        with open(path, "rb") as f:
            s.sendall(f.read())
        want = len(responses) + int(count)
        want_tunnel = (len(rest) if tunnel else 0) + int(more_tunnel or 0)
        while True:
            responses, rest, tunnel = parse(data, a.tunnel_after)
            if (len(responses) >= want and (len(rest) if tunnel else 0) >= want_tunnel) or eof or timed_out:
                break
            read_more()
    while len(data) < a.read_bytes and not eof and not timed_out:
        read_more()
    if a.until_eof:
        while not eof and not timed_out:
            read_more()
    responses, rest, tunnel = parse(data, a.tunnel_after)
    try:
        s.close()
    except OSError:
        pass
    if a.raw_out:
        with open(a.raw_out, "wb") as f:
            f.write(data)
    print(json.dumps({"alpn": alpn, "eof": eof, "eof_kind": eof_kind, "timed_out": timed_out, "responses": responses,
                      "trailing": "" if tunnel else rest.decode("latin-1"),
                      "tunnel": rest.decode("latin-1") if tunnel else None, "tunnel_len": len(rest) if tunnel else 0,
                      "tunnel_sha256": hashlib.sha256(rest if tunnel else b"").hexdigest(), "raw_len": len(data),
                      "raw_sha256": hashlib.sha256(data).hexdigest()}))


def alpn_of(s):
    try:
        return s.selected_alpn_protocol()
    except (ValueError, OSError):
        return None


if __name__ == "__main__":
    main()
