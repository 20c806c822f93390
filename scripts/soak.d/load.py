"""The load of scripts/soak: HTTPS clients (keep-alive and one request per connection), slowloris sockets and
the /metrics scraper. Every outcome goes to a Ledger with its start and end time, so that errors can be
matched against the windows in which the upstream was down. Python 3 standard library only."""
import http.client
import selectors
import socket
import ssl
import threading
import time

REQUEST = b"GET /hello HTTP/1.1\r\nHost: soak.test\r\n\r\n"
REQUEST_CLOSE = b"GET /hello HTTP/1.1\r\nHost: soak.test\r\nConnection: close\r\n\r\n"
BODY = b"hello from upstream\n"


class Ledger:
    """Thread-safe counts by (kind, outcome) and the list of errors with their times."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []  # (kind, outcome, t_start, t_end, detail)
        self.serials = set()

    def record(self, kind, outcome, t0, detail=""):
        t1 = time.time()
        with self.lock:
            self.counts[(kind, outcome)] = self.counts.get((kind, outcome), 0) + 1
            if outcome != "ok":
                self.errors.append((kind, outcome, t0, t1, detail))

    def saw_serial(self, serial):
        with self.lock:
            self.serials.add(serial)


class Trust:
    """Which client certificates the clients may present now (the current and the previous client CA)."""

    def __init__(self, server_ca):
        self.lock = threading.Lock()
        self.server_ca = server_ca
        self.contexts = {}
        self.allowed = []
        self.turn = 0

    def allow(self, generations):
        """generations: list of (k, cert_path, key_path); contexts are built once per generation."""
        with self.lock:
            for k, crt, key in generations:
                if k not in self.contexts:
                    ctx = ssl.create_default_context(cafile=self.server_ca)
                    ctx.load_cert_chain(crt, key)
                    self.contexts[k] = ctx
            self.allowed = [k for k, _, _ in generations]

    def pick(self):
        with self.lock:
            self.turn += 1
            k = self.allowed[self.turn % len(self.allowed)]
            return k, self.contexts[k]


class BadResponse(Exception):
    pass


def read_response(tls, ledger):
    """Read one HTTP/1.1 response; returns (status, body, server_closes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = tls.recv(65536)
        if not chunk:
            raise EOFError("closed before a response" if not buf else "closed in the response head")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise BadResponse("status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    closes = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        want = int(headers["content-length"])
        while len(body) < want:
            chunk = tls.recv(65536)
            if not chunk:
                raise EOFError("closed in the response body")
            body += chunk
    else:
        closes = True
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(parts[1]), body, closes


def classify(exc):
    if isinstance(exc, ssl.SSLError):
        return "tls_" + (exc.reason or "error").lower()
    if isinstance(exc, EOFError):
        return "closed_" + str(exc).split()[-1]  # closed_response / closed_head / closed_body
    if isinstance(exc, ConnectionRefusedError):
        return "connect_refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, BadResponse):
        return "bad_response"
    return type(exc).__name__


def outcome_of(status, body):
    if status == 200:
        return "ok" if body == BODY else "bad_body"
    return "http_%d" % status


def connect(port, trust, ledger):
    k, ctx = trust.pick()
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="soak.test")
    except BaseException:
        raw.close()
        raise
    serial = tls.getpeercert().get("serialNumber")
    if serial:
        ledger.saw_serial(serial)
    return tls


def keepalive_client(port, trust, ledger, stop, per_connection=200):
    """Requests on one connection until it closes or has carried per_connection requests, then a new one.
    The handshake itself is recorded as kind 'keepalive-connect'."""
    while not stop.is_set():
        t0 = time.time()
        try:
            tls = connect(port, trust, ledger)
        except Exception as exc:
            ledger.record("keepalive-connect", classify(exc), t0, repr(exc))
            time.sleep(0.05)
            continue
        ledger.record("keepalive-connect", "ok", t0)
        try:
            for _ in range(per_connection):
                if stop.is_set():
                    break
                t0 = time.time()
                try:
                    tls.sendall(REQUEST)
                    status, body, closes = read_response(tls, ledger)
                except Exception as exc:
                    ledger.record("keepalive", classify(exc), t0, repr(exc))
                    break
                ledger.record("keepalive", outcome_of(status, body), t0)
                if closes:
                    break
        finally:
            tls.close()


def newconn_client(port, trust, ledger, stop):
    """One request per connection (Connection: close), full handshake each time."""
    while not stop.is_set():
        t0 = time.time()
        try:
            tls = connect(port, trust, ledger)
        except Exception as exc:
            ledger.record("newconn", classify(exc), t0, repr(exc))
            time.sleep(0.05)
            continue
        try:
            tls.sendall(REQUEST_CLOSE)
            status, body, _ = read_response(tls, ledger)
            ledger.record("newconn", outcome_of(status, body), t0)
        except Exception as exc:
            ledger.record("newconn", classify(exc), t0, repr(exc))
        finally:
            tls.close()


class Slowloris:
    """count TCP sockets to the TLS port: even ones send nothing, odd ones dribble the first 5 bytes of a TLS
    record header, one byte per second. A socket certgate closes is replaced at once."""

    HEADER = b"\x16\x03\x01\x02\x00"

    def __init__(self, port, count):
        self.port, self.count = port, count
        self.sel = selectors.DefaultSelector()
        self.socks = {}  # socket -> [index, bytes sent]
        self.opened = self.closed_by_server = self.open_failures = 0

    def _open(self, index):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            self.open_failures += 1
            return
        s.setblocking(False)
        self.socks[s] = [index, 0]
        self.sel.register(s, selectors.EVENT_READ)
        self.opened += 1

    def run(self, stop):
        for i in range(self.count):
            self._open(i)
        last_drip = time.time()
        while not stop.is_set():
            for key, _ in self.sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    continue  # an alert or anything else: keep waiting for the close
                index = self.socks.pop(s)[0]
                self.sel.unregister(s)
                s.close()
                self.closed_by_server += 1
                self._open(index)
            missing = self.count - len(self.socks)
            for i in range(missing):
                self._open(-1)
            if time.time() - last_drip >= 1.0:
                last_drip = time.time()
                for s, state in self.socks.items():
                    if state[0] % 2 == 1 and state[1] < len(self.HEADER):
                        try:
                            s.send(self.HEADER[state[1]:state[1] + 1])
                            state[1] += 1
                        except OSError:
                            pass
        for s in list(self.socks):
            self.sel.unregister(s)
            s.close()
        self.socks.clear()


def parse_metrics(text):
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            values[key] = float(value)
        except ValueError:
            pass
    return values


def scrape(admin_port, token):
    conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=5)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise BadResponse("GET /metrics: %d" % resp.status)
        return parse_metrics(body.decode())
    finally:
        conn.close()


def metric_sum(values, name, **labels):
    """Sum of the series of name whose labels include the given ones."""
    total = 0.0
    for key, value in values.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(('%s="%s"' % (k, v)) in rest for k, v in labels.items()):
            total += value
    return total


class Scraper:
    def __init__(self, admin_port, token, ledger):
        self.admin_port, self.token, self.ledger = admin_port, token, ledger
        self.latest = {}

    def run(self, stop):
        while not stop.wait(1.0):
            t0 = time.time()
            try:
                self.latest = scrape(self.admin_port, self.token)
                self.ledger.record("metrics", "ok", t0)
            except Exception as exc:
                self.ledger.record("metrics", classify(exc), t0, repr(exc))
