#!/usr/bin/env python3
"""A hand-built HTTP/2 client (Python 3 standard library only) for the drain case of test_http2.sh.

  h2_drain_client.py --port P --ca CA --path PATH --ready FILE

Connects with TLS (SNI alpha.test, ALPN h2), sends the preface, an empty SETTINGS frame and one GET for
PATH on stream 1, and reads the response without ever opening the flow-control windows: the download
stalls after the initial 65,535 bytes. Once some DATA has arrived it creates FILE (the test then stops
certgate) and keeps reading until a GOAWAY frame arrives; only then it opens both windows wide, reads
the rest of the stream and then until EOF. Prints one JSON line:
  {"goaway": [last_stream_id, error_code] or null, "goaway_before_end": bool, "bytes": n,
   "sha256": "<hex>", "ended": bool (END_STREAM seen), "eof": bool, "error": "..." (if any)}
"""
import argparse
import hashlib
import json
import socket
import ssl
import struct

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    """A literal field with incremental indexing, name from the static table, no Huffman (value < 127)."""
    v = value.encode()
    return bytes([0x40 | index, len(v)]) + v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    s = ctx.wrap_socket(raw, server_hostname="alpha.test")
    out = {"goaway": None, "goaway_before_end": False, "bytes": 0, "sha256": "", "ended": False, "eof": False}
    digest = hashlib.sha256()
    try:
        if s.selected_alpn_protocol() != "h2":
            raise RuntimeError("ALPN: %r" % s.selected_alpn_protocol())
        block = b"\x82\x87" + literal(4, a.path) + literal(1, "alpha.test")
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0) + frame(HEADERS, 5, 1, block))
        buf = b""
        ready_written = False
        while True:
            while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
                d = s.recv(65536)
                if not d:
                    out["eof"] = True
                    raise StopIteration
                buf += d
            n = int.from_bytes(buf[:3], "big")
            kind, flags = buf[3], buf[4]
            stream = struct.unpack(">I", buf[5:9])[0] & 0x7FFFFFFF
            payload, buf = buf[9:9 + n], buf[9 + n:]
            if kind == SETTINGS and not flags & 1:
                s.sendall(frame(SETTINGS, 1, 0))
            elif kind == PING and not flags & 1:
                s.sendall(frame(PING, 1, 0, payload))
            elif kind == DATA and stream == 1:
                pad = payload[0] if flags & 8 else 0
                body = payload[1:len(payload) - pad] if flags & 8 else payload
                digest.update(body)
                out["bytes"] += len(body)
                if flags & 1:
                    out["ended"] = True
                if out["bytes"] >= 16384 and not ready_written:
                    open(a.ready, "w").close()
                    ready_written = True
            elif kind == HEADERS and stream == 1 and flags & 1:
                out["ended"] = True
            elif kind == RST_STREAM:
                out["error"] = "RST_STREAM %d on stream %d" % (struct.unpack(">I", payload)[0], stream)
            elif kind == GOAWAY:
                last, code = struct.unpack(">II", payload[:8])
                out["goaway"] = [last & 0x7FFFFFFF, code]
                out["goaway_before_end"] = not out["ended"]
                grow = struct.pack(">I", 0x7FFFFFFF - 65535)
                s.sendall(frame(WINDOW_UPDATE, 0, 0, grow) + frame(WINDOW_UPDATE, 0, 1, grow))
    except StopIteration:
        pass
    except Exception as e:  # reported, not raised: the test reads the JSON
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["sha256"] = digest.hexdigest()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
