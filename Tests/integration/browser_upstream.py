#!/usr/bin/env python3
"""HTTP/1.1 + WebSocket upstream for the real-browser tests (test_browser.sh). Python stdlib only.

  browser_upstream.py --port PORT --dir DIR

  GET /page        an HTML page naming the forwarding headers the upstream saw (X-Forwarded-For,
                   X-Forwarded-Proto, X-Forwarded-Client-Cert), each in an element with an id
  GET /ws.html     a page whose script opens wss://<same host>/ws, sends "hello-1", writes the echo and
                   every event into the DOM, then sends a "tick-N" every 100 ms while the socket stays
                   open. Its <img src="/hold?key=K"> keeps the load event (and so Chromium's --dump-dom)
                   back until /hold returns: K is the ?key= of the page (default "echo")
  GET /hold?key=K  answers (a 1x1 GIF) once the WebSocket has received "release:K" (the page's script sends
                   "release:echo" after its first echo) or once the file DIR/release-K exists, at most 25 s
  GET /ws          WebSocket (RFC 6455) echo: the first message sent is "seen " + the JSON of the
                   forwarding headers of the upgrade request; then every text message comes back as it is
Each WebSocket connection appends one line per received message to DIR/ws.log: "CONN_ID MESSAGE".
"""
import argparse
import base64
import hashlib
import http.server
import itertools
import json
import os
import struct
import threading
import time
import urllib.parse

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
FORWARD = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Client-Cert")

WS_PAGE = """<!doctype html>
<html><head><title>ws</title></head><body>
<p id="state">starting</p><p id="first"></p><p id="echo"></p><p id="ticks">0</p><p id="events"></p>
<script>
const $ = (id) => document.getElementById(id);
const key = new URLSearchParams(location.search).get("key") || "echo";
const ws = new WebSocket("wss://" + location.host + "/ws");
let n = 0, sent = 0, bad = 0;
function ev(s) { $("events").textContent += s + ";"; }
ws.onopen = () => { ev("open"); $("state").textContent = "open"; ws.send("hello-1"); };
ws.onerror = () => { ev("error"); };
ws.onclose = (e) => { ev("close:" + e.code); $("state").textContent = "closed"; };
ws.onmessage = (m) => {
  n += 1;
  if (n === 1) { $("first").textContent = m.data; return; }
  if (n === 2) {
    $("echo").textContent = m.data;
    ws.send("release:echo");
    setInterval(() => { if (ws.readyState === 1) { sent += 1; ws.send("tick-" + sent); } }, 100);
    return;
  }
  if (m.data.startsWith("release:")) return;
  if (m.data !== "tick-" + (parseInt($("ticks").textContent) + 1)) { bad += 1; ev("bad:" + m.data); }
  $("ticks").textContent = String(parseInt($("ticks").textContent) + 1);
};
</script>
<img id="hold" src="/hold?key=KEY">
</body></html>
"""


def ws_frames(rfile):
    """Yields (opcode, payload) of each client frame (masked, unfragmented as browsers send text)."""
    while True:
        head = rfile.read(2)
        if len(head) < 2:
            return
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", rfile.read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", rfile.read(8))[0]
        mask = rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = rfile.read(length)
        yield opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def ws_frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack(">BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
    return head + payload


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    conn_ids = itertools.count(1)
    released = set()
    cond = threading.Condition()

    def log_message(self, fmt, *args):
        print("%s %s" % (self.address_string(), fmt % args), flush=True)

    def send_body(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def forwarded(self):
        return {h: self.headers.get_all(h, []) for h in FORWARD}

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/page":
            seen = self.forwarded()
            items = "".join(
                '<p id="%s">%s</p>' % (h.lower(), json.dumps(v).replace("<", "&lt;")) for h, v in seen.items())
            body = "<!doctype html><html><head><title>certgate</title></head><body>"
            body += '<h1 id="greeting">hello through certgate</h1>%s</body></html>' % items
            self.send_body(body.encode(), "text/html; charset=utf-8")
        elif url.path == "/ws.html":
            key = query.get("key", ["echo"])[0]
            self.send_body(WS_PAGE.replace("KEY", urllib.parse.quote(key)).encode(), "text/html; charset=utf-8")
        elif url.path == "/hold":
            key = query.get("key", ["echo"])[0]
            flag = os.path.join(self.server.dir, "release-" + key)
            deadline = time.monotonic() + 25
            with Handler.cond:
                while key not in Handler.released and not os.path.exists(flag) and time.monotonic() < deadline:
                    Handler.cond.wait(0.05)
            self.send_body(GIF, "image/gif")
        elif url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
        else:
            self.send_error(404)

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        conn = next(Handler.conn_ids)
        self.wfile.write(ws_frame(1, ("seen " + json.dumps(self.forwarded())).encode()))
        log = os.path.join(self.server.dir, "ws.log")
        for opcode, payload in ws_frames(self.rfile):
            if opcode == 8:  # close: answer it and stop
                self.wfile.write(ws_frame(8, payload[:2]))
                break
            if opcode == 9:  # ping
                self.wfile.write(ws_frame(10, payload))
                continue
            if opcode != 1:
                continue
            text = payload.decode("utf-8", "replace")
            with open(log, "a") as f:
                f.write("%d %s\n" % (conn, text))
            if text.startswith("release:"):
                with Handler.cond:
                    Handler.released.add(text[len("release:"):])
                    Handler.cond.notify_all()
            self.wfile.write(ws_frame(1, payload))
            self.wfile.flush()
        with open(log, "a") as f:
            f.write("%d closed\n" % conn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.dir = args.dir
    server.serve_forever()


if __name__ == "__main__":
    main()
