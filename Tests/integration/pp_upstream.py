#!/usr/bin/env python3
"""A plaintext HTTP upstream that expects a PROXY protocol header (v1 or v2) first on every connection.

It decodes the header on its own (independently of certgate's encoder), then answers the one HTTP
request that follows with the decoded fields as JSON and closes. A connection without a valid header
gets a 400 whose body says why.

usage: pp_upstream.py [--port N]   (prints "pp upstream listening on 127.0.0.1:PORT")
"""
import argparse
import ipaddress
import json
import socket
import socketserver
import struct

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ValueError("connection closed inside the PROXY header")
        data += chunk
    return data


def parse_tlvs(data):
    out = {}
    i = 0
    while i < len(data):
        if i + 3 > len(data):
            raise ValueError("truncated TLV")
        t, length = data[i], struct.unpack("!H", data[i + 1:i + 3])[0]
        value = data[i + 3:i + 3 + length]
        if len(value) != length:
            raise ValueError("TLV overruns the header")
        if t == 0x01:
            out["alpn"] = value.decode()
        elif t == 0x02:
            out["authority"] = value.decode()
        elif t == 0x20:
            client, verify = value[0], struct.unpack("!I", value[1:5])[0]
            ssl = {"client": client, "verify": verify}
            for k, v in parse_tlvs(value[5:]).items():
                ssl[k] = v
            out["ssl"] = ssl
        elif t == 0x21:
            out["version"] = value.decode()
        elif t == 0x22:
            out["cn"] = value.decode()
        elif t == 0x23:
            out["cipher"] = value.decode()
        else:
            out["tlv_%02x" % t] = value.hex()
        i += 3 + length
    return out


def read_header(sock):
    first = read_exact(sock, 12)
    if first == SIG:
        ver_cmd, fam, length = struct.unpack("!BBH", read_exact(sock, 4))
        if ver_cmd != 0x21:
            raise ValueError("version/command byte 0x%02x" % ver_cmd)
        payload = read_exact(sock, length)
        if fam == 0x11:
            src, dst, sport, dport = payload[0:4], payload[4:8], *struct.unpack("!HH", payload[8:12])
            rest = payload[12:]
            src, dst = str(ipaddress.IPv4Address(src)), str(ipaddress.IPv4Address(dst))
        elif fam == 0x21:
            src, dst, sport, dport = payload[0:16], payload[16:32], *struct.unpack("!HH", payload[32:36])
            rest = payload[36:]
            src, dst = str(ipaddress.IPv6Address(src)), str(ipaddress.IPv6Address(dst))
        else:
            raise ValueError("family byte 0x%02x" % fam)
        h = {"version": 2, "src": src, "dst": dst, "sport": sport, "dport": dport}
        h.update(parse_tlvs(rest))
        return h
    line = first
    while not line.endswith(b"\r\n"):
        line += read_exact(sock, 1)
        if len(line) > 107:
            raise ValueError("v1 line longer than 107 bytes")
    parts = line.decode().strip().split(" ")
    if parts[0] != "PROXY" or parts[1] not in ("TCP4", "TCP6"):
        raise ValueError("bad v1 line %r" % line)
    return {"version": 1, "proto": parts[1], "src": parts[2], "dst": parts[3],
            "sport": int(parts[4]), "dport": int(parts[5])}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        try:
            header = read_header(sock)
            status, body = "200 OK", json.dumps(header)
        except ValueError as e:
            status, body = "400 Bad Request", "bad PROXY header: %s" % e
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        data = body.encode()
        sock.sendall(b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(data)).encode() + b"\r\nConnection: close\r\n\r\n" + data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    print("pp upstream listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
