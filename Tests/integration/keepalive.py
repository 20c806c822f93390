#!/usr/bin/env python3
"""One keep-alive TLS connection sending GET /hello every INTERVAL until STOPFILE exists.

Prints "requests=N failures=M fingerprint=HEX" where fingerprint identifies the certificate the connection
was opened with. With --progress FILE, FILE holds the number of answered requests (rewritten atomically
after each one), so a test can see the connection still working at a given moment.
Used to prove that a certificate reload never touches a connection that is already established."""
import argparse, os, ssl, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--sni", required=True)
p.add_argument("--ca", required=True)
p.add_argument("--stopfile", required=True)
p.add_argument("--interval", type=float, default=0.05)
p.add_argument("--ready", required=True, help="file written once the first request succeeded")
p.add_argument("--progress", default="", help="file rewritten with the request count after each answer")
p.add_argument("--cert", default="", help="client certificate (PEM) to present")
p.add_argument("--key", default="", help="its private key")
a = p.parse_args()

ctx = ssl.create_default_context(cafile=a.ca)
if a.cert:
    ctx.load_cert_chain(a.cert, a.key)
raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
conn = ctx.wrap_socket(raw, server_hostname=a.sni)
der = conn.getpeercert(binary_form=True)
from hashlib import sha256
fingerprint = sha256(der).hexdigest()[:16]
requests = failures = 0
buf = b""
request = ("GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n\r\n" % a.sni).encode()
while True:
    try:
        conn.sendall(request)
        # Read one response: headers, then Content-Length bytes.
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by proxy")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed mid-response")
            rest += chunk
        buf = rest[length:]
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            raise ValueError(head.split(b"\r\n")[0].decode(errors="replace"))
        requests += 1
        if a.progress:
            with open(a.progress + ".tmp", "w") as f:
                f.write("%d\n" % requests)
            os.replace(a.progress + ".tmp", a.progress)
        if requests == 1:
            open(a.ready, "w").write("ready\n")
    except Exception as e:  # report and stop: one failure is already a failed test
        failures += 1
        print("error: %s" % e, file=sys.stderr)
        break
    if os.path.exists(a.stopfile):
        break
    time.sleep(a.interval)
print("requests=%d failures=%d fingerprint=%s" % (requests, failures, fingerprint))
sys.exit(1 if failures else 0)
