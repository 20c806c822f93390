#!/usr/bin/env python3
"""Raw HTTP/1.1-over-TLS test client for the --forward-headers cases (Python 3 standard library only).

  http_client.py --port P --ca CA.crt [--sni NAME] [--alpn h2,http/1.1] [--cert C --key K]
                 [--step FILE:N]... [--until-eof] [--timeout S] [--raw-out FILE] [--read-bytes N]

One TLS connection. Each --step sends the bytes of FILE in ONE write (so several requests in it are
pipelined), then reads until N more complete responses have arrived (N may be 0). With --until-eof it
then reads everything until the server closes (at most --timeout seconds); with --read-bytes N it
first reads until N bytes in all have arrived (for raw echoes); otherwise it closes.
Responses are split by their Content-Length (every response in these tests has one).

Prints one JSON object:
  {"alpn": "<negotiated or null>", "eof": bool, "timed_out": bool,
   "responses": [{"status": 200, "status_line": "...", "head": "<raw head>", "headers": {lower: value},
                  "body": "<text>", "json": {...} or null}],
   "trailing": "<bytes after the last complete response>", "raw_len": n, "raw_sha256": "<hex of all bytes read>"}
Exit status 0 unless the connection could not be made.
"""
import argparse
import hashlib
import json
import socket
import ssl
import sys
import time


def parse(buf):
    """Complete responses at the start of buf, and the rest."""
    out = []
    while True:
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
    return out, buf


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
    for step in a.step:
        path, _, count = step.rpartition(":")
        with open(path, "rb") as f:
            s.sendall(f.read())
        want = len(responses) + int(count)
        while True:
            responses, rest = parse(data)
            if len(responses) >= want or eof or timed_out:
                break
            read_more()
    while len(data) < a.read_bytes and not eof and not timed_out:
        read_more()
    if a.until_eof:
        while not eof and not timed_out:
            read_more()
    responses, rest = parse(data)
    try:
        s.close()
    except OSError:
        pass
    if a.raw_out:
        with open(a.raw_out, "wb") as f:
            f.write(data)
    print(json.dumps({"alpn": alpn, "eof": eof, "eof_kind": eof_kind, "timed_out": timed_out, "responses": responses,
                      "trailing": rest.decode("latin-1"), "raw_len": len(data),
                      "raw_sha256": hashlib.sha256(data).hexdigest()}))


def alpn_of(s):
    try:
        return s.selected_alpn_protocol()
    except (ValueError, OSError):
        return None


if __name__ == "__main__":
    main()
