#!/usr/bin/env python3
"""HTTP/1.1 + WebSocket upstream for the real-browser tests (test_browser.sh). Python stdlib only.

  browser_upstream.py --port PORT --dir DIR

  GET /page        an HTML page naming the forwarding headers the upstream saw (X-Forwarded-For,
                   X-Forwarded-Proto, X-Forwarded-Client-Cert), each in an element with an id, and (its
                   script) the protocol the browser loaded it over (nextHopProtocol: "h2", "http/1.1")
  GET /ws.html     a page whose script opens wss://<same host>/ws, sends "hello-1", writes the echo and
                   every event (and the page's nextHopProtocol) into the DOM, then sends a "tick-N" every
                   100 ms while the socket stays open. Its <img src="/hold?key=K"> keeps the load event
                   (and so Chromium's --dump-dom) back until /hold returns: K is the ?key= of the page
                   (default "echo")
  GET /spoof.html  a page whose script requests /page (synchronous XMLHttpRequest) with its own
                   X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Client-Cert (SPOOF below) and writes
                   what that /page says the upstream saw into elements "spoof-<header>"
  GET /hold?key=K  answers (a 1x1 GIF) once the WebSocket has received "release:K" (the page's script sends
                   "release:echo" after its first echo) or once the file DIR/release-K exists, at most 25 s
  GET /multi.html?n=N&g=G  a page with N/2 images and N - N/2 async scripts, each /slow?g=G&i=K&n=N; at
                   its load event its script writes how many loaded and failed, the protocols of those
                   subresources and how many of them opened a new connection
  GET /slow?g=G&i=K&n=N  held until N requests of group G have arrived (at most 8 s), so all N must be in
                   flight at once; then a GIF (K even) or a script (K odd). Logs "G K IN_FLIGHT
                   VERSION" to DIR/slow.log, IN_FLIGHT being how many of G were in flight when it was
                   released, VERSION the request's HTTP version
  GET /poll.html?key=K  a page whose script fetches /tick?n=N every 100 ms and writes the count, the
                   errors, the protocols of those fetches and how many opened a new connection; its
                   <img src="/hold?key=K"> holds the load event (released by the file DIR/release-K)
  GET /tick?n=N    "tick-N" (text/plain); logs "N" to DIR/ticks.log
  GET /data.html   browser_data.html: cookies, aborted responses, an 8 MiB download and a 4 MiB upload
                   (SHA-256 in the page), 150 requests at once; results in the DOM
  GET /cookie      the JSON list of the Cookie fields received; GET /echo?v=X  "echo X"
  GET /drip        100 x 1000 bytes (Content-Length), one piece every 10 ms
  GET /big?mib=N   N MiB of a fixed pattern; its SHA-256 goes to DIR/big.log
  POST /upload     "LENGTH SHA256" of the body (Content-Length or chunked)
  GET /release?key=K  releases /hold?key=K
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
PATTERN = bytes((i * 13) & 255 for i in range(65536))
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
FORWARD = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Client-Cert")

WS_PAGE = """<!doctype html>
<html><head><title>ws</title></head><body>
<p id="state">starting</p><p id="first"></p><p id="echo"></p><p id="ticks">0</p><p id="events"></p>
<p id="protocol"></p>
<script>
const $ = (id) => document.getElementById(id);
$("protocol").textContent = performance.getEntriesByType("navigation")[0].nextHopProtocol;
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

# Subresource timing entries -> DOM: protocols (sorted, distinct) and the number that opened a connection
# (a reused connection has connectEnd == connectStart).
TIMING_JS = """
function timing(entries) {
  const protos = new Set(entries.map((e) => e.nextHopProtocol));
  const fresh = entries.filter((e) => e.connectEnd > e.connectStart).length;
  return [Array.from(protos).sort().join(","), fresh];
}
"""

PAGE_SCRIPT = """<script>
document.getElementById("protocol").textContent =
  performance.getEntriesByType("navigation")[0].nextHopProtocol;
</script>"""

MULTI_PAGE = """<!doctype html>
<html><head><title>multi</title></head><body>
<p id="loaded">0</p><p id="failed">0</p><p id="protocol"></p><p id="sub-protocols"></p>
<p id="sub-entries"></p><p id="sub-new-connections"></p>
<script>
const $ = (id) => document.getElementById(id);
window.ok = (n) => { $(n).textContent = String(parseInt($(n).textContent) + 1); };
TIMING
window.addEventListener("load", () => {
  $("protocol").textContent = performance.getEntriesByType("navigation")[0].nextHopProtocol;
  const subs = performance.getEntriesByType("resource").filter((e) => e.name.includes("/slow?"));
  const [protos, fresh] = timing(subs);
  $("sub-protocols").textContent = protos;
  $("sub-entries").textContent = String(subs.length);
  $("sub-new-connections").textContent = String(fresh);
});
</script>
ITEMS
</body></html>
"""

POLL_PAGE = """<!doctype html>
<html><head><title>poll</title></head><body>
<p id="protocol"></p><p id="ticks">0</p><p id="errors">0</p><p id="tick-protocols"></p>
<p id="tick-new-connections"></p>
<script>
const $ = (id) => document.getElementById(id);
$("protocol").textContent = performance.getEntriesByType("navigation")[0].nextHopProtocol;
TIMING
const seen = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.name.includes("/tick?")) seen.push(e);
  const [protos, fresh] = timing(seen);
  $("tick-protocols").textContent = protos;
  $("tick-new-connections").textContent = String(fresh);
}).observe({ type: "resource" });
let n = 0;
setInterval(() => {
  n += 1;
  const want = "tick-" + n;
  fetch("/tick?n=" + n, { cache: "no-store" })
    .then((r) => r.text())
    .then((t) => { if (t === want) { $("ticks").textContent = String(parseInt($("ticks").textContent) + 1); } else { throw t; } })
    .catch(() => { $("errors").textContent = String(parseInt($("errors").textContent) + 1); });
}, 100);
</script>
<img id="hold" src="/hold?key=KEY">
</body></html>
"""

SPOOF = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "gopher",
         "X-Forwarded-Client-Cert": "By=spoofed;URI=spiffe://admin"}

SPOOF_PAGE = """<!doctype html>
<html><head><title>spoof</title></head><body>
<p id="protocol"></p><p id="spoof-status"></p>ITEMS
<script>
const $ = (id) => document.getElementById(id);
$("protocol").textContent = performance.getEntriesByType("navigation")[0].nextHopProtocol;
const xhr = new XMLHttpRequest();
xhr.open("GET", "/page", false);
for (const [k, v] of Object.entries(SPOOF)) xhr.setRequestHeader(k, v);
xhr.send();
$("spoof-status").textContent = String(xhr.status);
const seen = new DOMParser().parseFromString(xhr.responseText, "text/html");
for (const k of Object.keys(SPOOF)) {
  $("spoof-" + k.toLowerCase()).textContent = seen.getElementById(k.toLowerCase()).textContent;
}
</script>
</body></html>
"""


def spoof_page():
    items = "".join('<p id="spoof-%s"></p>' % h.lower() for h in FORWARD)
    return SPOOF_PAGE.replace("ITEMS", items).replace("SPOOF", json.dumps(SPOOF))


def multi_items(n, group):
    items = []
    for i in range(n):
        src = "/slow?g=%s&amp;i=%d&amp;n=%d" % (group, i, n)
        if i % 2 == 0:
            items.append('<img src="%s" onload="ok(\'loaded\')" onerror="ok(\'failed\')">' % src)
        else:
            items.append('<script async src="%s" onerror="ok(\'failed\')"></script>' % src)
    return "\n".join(items)


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
    arrived = {}  # /slow group -> requests arrived
    in_flight = {}  # /slow group -> requests not yet answered

    def log_message(self, fmt, *args):
        print("%s %s" % (self.address_string(), fmt % args), flush=True)

    def send_body(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_line(self, name, line):
        with Handler.cond, open(os.path.join(self.server.dir, name), "a") as f:
            f.write(line + "\n")

    def slow(self, query):
        group, i, n = query.get("g", ["0"])[0], int(query.get("i", ["0"])[0]), int(query.get("n", ["1"])[0])
        deadline = time.monotonic() + 8
        with Handler.cond:
            Handler.arrived[group] = Handler.arrived.get(group, 0) + 1
            Handler.in_flight[group] = Handler.in_flight.get(group, 0) + 1
            Handler.cond.notify_all()
            while Handler.arrived[group] < n and time.monotonic() < deadline:
                Handler.cond.wait(0.05)
            flight = Handler.in_flight[group]
            Handler.in_flight[group] -= 1
        self.log_line("slow.log", "%s %d %d %s" % (group, i, flight, self.request_version))
        if i % 2 == 0:
            self.send_body(GIF, "image/gif")
        else:
            self.send_body(b"ok('loaded');", "text/javascript")

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
            body += '<h1 id="greeting">hello through certgate</h1>%s<p id="protocol"></p>%s</body></html>' % (
                items, PAGE_SCRIPT)
            self.send_body(body.encode(), "text/html; charset=utf-8")
        elif url.path == "/ws.html":
            key = query.get("key", ["echo"])[0]
            self.send_body(WS_PAGE.replace("KEY", urllib.parse.quote(key)).encode(), "text/html; charset=utf-8")
        elif url.path == "/spoof.html":
            self.send_body(spoof_page().encode(), "text/html; charset=utf-8")
        elif url.path == "/multi.html":
            n, group = int(query.get("n", ["20"])[0]), query.get("g", ["0"])[0]
            page = MULTI_PAGE.replace("TIMING", TIMING_JS).replace("ITEMS", multi_items(n, group))
            self.send_body(page.encode(), "text/html; charset=utf-8")
        elif url.path == "/slow":
            self.slow(query)
        elif url.path == "/poll.html":
            key = query.get("key", ["poll"])[0]
            page = POLL_PAGE.replace("TIMING", TIMING_JS).replace("KEY", urllib.parse.quote(key))
            self.send_body(page.encode(), "text/html; charset=utf-8")
        elif url.path == "/tick":
            n = query.get("n", ["0"])[0]
            self.log_line("ticks.log", n)
            self.send_body(("tick-" + n).encode(), "text/plain")
        elif url.path == "/hold":
            key = query.get("key", ["echo"])[0]
            flag = os.path.join(self.server.dir, "release-" + key)
            deadline = time.monotonic() + 25
            with Handler.cond:
                while key not in Handler.released and not os.path.exists(flag) and time.monotonic() < deadline:
                    Handler.cond.wait(0.05)
            self.send_body(GIF, "image/gif")
        elif url.path == "/data.html":
            with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser_data.html"), "rb") as f:
                self.send_body(f.read(), "text/html; charset=utf-8")
        elif url.path == "/cookie":
            self.send_body(json.dumps(self.headers.get_all("Cookie", [])).encode(), "application/json")
        elif url.path == "/echo":
            self.send_body(("echo " + query.get("v", [""])[0]).encode(), "text/plain")
        elif url.path == "/drip":
            self.drip()
        elif url.path == "/big":
            data = PATTERN * (int(query.get("mib", ["1"])[0]) * 16)
            self.log_line("big.log", hashlib.sha256(data).hexdigest())
            self.send_body(data, "application/octet-stream")
        elif url.path == "/release":
            with Handler.cond:
                Handler.released.add(query.get("key", [""])[0])
                Handler.cond.notify_all()
            self.send_body(b"released", "text/plain")
        elif url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
        else:
            self.send_error(404)

    def drip(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x" * 1000)
                self.wfile.flush()
                time.sleep(0.01)
        except OSError:  # the proxy closed it: the client went away
            self.close_connection = True

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/upload":
            self.send_error(404)
            return
        if "Content-Length" in self.headers:
            data = self.rfile.read(int(self.headers["Content-Length"]))
        else:
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        self.send_body(("%d %s" % (len(data), hashlib.sha256(data).hexdigest())).encode(), "text/plain")

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


class Server(http.server.ThreadingHTTPServer):
    # certgate's HTTP/2 upstream pool opens one connection per stream in flight (100 at once from one h2
    # connection): socketserver's default listen backlog of 5 overflows and the connects then wait for
    # TCP retransmits (seconds).
    request_queue_size = 1024
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.dir = args.dir
    server.serve_forever()


if __name__ == "__main__":
    main()
