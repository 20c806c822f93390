#!/usr/bin/env python3
"""scripts/sanitize's live run: a sanitized certgate binary under handshakes, a certificate and client-CA
reload storm, admin token rotation, upstream loss, then a drain (SIGTERM with connections open).

  live.py --bin PATH --seconds N --log FILE

Exits 0 when certgate started, served requests, stopped with status 0 after SIGTERM and its output has
no sanitizer report; the caller also checks the sanitizer's log_path files. Python 3 stdlib + openssl."""
import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "soak.d"))
import load  # noqa: E402
from pki import Pki  # noqa: E402
from soak import Secret, Upstream, free_port, wait_port  # noqa: E402


class Live:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="certgate-sanitize-")
        self.pki = Pki(os.path.join(self.tmp, "pki"))
        self.ledger = load.Ledger()
        self.port, self.admin_port, self.up_port = free_port(), free_port(), free_port()
        self.ca_file = os.path.join(self.tmp, "ca.pem")
        self.token_file = os.path.join(self.tmp, "admin.token")
        self.tokens = []
        self.counts = {"secret": 0, "client_ca": 0, "token": 0, "post_reload": 0, "upstream_kills": 0}
        self.lock = threading.Lock()
        self.k = 0

    def write_atomic(self, path, data):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)

    def new_token(self):
        token = os.urandom(16).hex()
        self.write_atomic(self.token_file, (token + "\n").encode())
        with self.lock:
            self.tokens = (self.tokens + [token])[-3:]

    def new_client_ca(self):
        self.k += 1
        ca, crt, key = self.pki.client_generation(self.k)
        with open(ca, "rb") as f:
            self.write_atomic(self.ca_file, f.read())
        gens = getattr(self, "gens", []) + [(self.k, crt, key)]
        self.gens = gens[-2:]
        self.trust.allow(self.gens)

    def start(self):
        self.trust = load.Trust(self.pki.server_ca())
        self.secret = Secret(os.path.join(self.tmp, "secrets", "live"))
        self.secret.write(*self.pki.server_leaf()[:2])
        self.new_client_ca()
        self.new_token()
        self.upstream = Upstream(self.up_port, self.tmp)
        self.upstream.start()
        cmd = [self.args.bin, "run", "--listen", "127.0.0.1:%d" % self.port,
               "--upstream", "127.0.0.1:%d" % self.up_port, "--cert-dir", os.path.join(self.tmp, "secrets"),
               "--admin", "127.0.0.1:%d" % self.admin_port, "--admin-token-file", self.token_file,
               "--client-ca", self.ca_file, "--forward-headers", "--workers", "2", "--drain-timeout", "5s",
               "--stat-interval", "100ms"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.args.log, "ab"), stderr=subprocess.STDOUT)
        if not wait_port(self.port, 60) or not wait_port(self.admin_port, 10):
            raise RuntimeError("certgate did not start")

    def admin(self, method, path):
        """Try the newest token first, then the two before (certgate takes up to 2 s to read a new one)."""
        with self.lock:
            tokens = list(reversed(self.tokens))
        for token in tokens:
            conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=10)
            try:
                conn.request(method, path, headers={"Authorization": "Bearer " + token})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 401:
                    return resp.status
            finally:
                conn.close()
        return 401

    def storm(self, stop):
        """Every 0.25 s a new server certificate; every second a new client CA, a new admin token, a POST
        /reload and a /metrics scrape; every 3 s the upstream killed and restarted."""
        tick = 0
        while not stop.wait(0.25):
            tick += 1
            self.secret.write(*self.pki.server_leaf()[:2])
            self.counts["secret"] += 1
            if tick % 4 == 0:
                self.new_client_ca()
                self.counts["client_ca"] += 1
                self.new_token()
                self.counts["token"] += 1
                t0 = time.time()
                status = self.admin("POST", "/reload")
                self.ledger.record("post-reload", "ok" if status in (200, 500) else "http_%d" % status, t0)
                self.counts["post_reload"] += 1
                t0 = time.time()
                status = self.admin("GET", "/metrics")
                self.ledger.record("metrics", "ok" if status == 200 else "http_%d" % status, t0)
            if tick % 12 == 0:
                self.upstream.proc.kill()
                self.upstream.proc.wait()
                self.counts["upstream_kills"] += 1
                time.sleep(0.3)
                self.upstream.start()

    def run(self):
        stop = threading.Event()
        jobs = [(load.keepalive_client, (self.port, self.trust, self.ledger, stop))] * 2
        jobs += [(load.newconn_client, (self.port, self.trust, self.ledger, stop))] * 2
        jobs += [(self.storm, (stop,))]
        threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in jobs]
        for t in threads:
            t.start()
        deadline = time.time() + self.args.seconds
        while time.time() < deadline and self.proc.poll() is None:
            time.sleep(0.5)
        stop.set()
        for t in threads[-1:]:
            t.join(30)
        # Drain: SIGTERM while keep-alive connections are open, then let the clients go.
        held = []
        for _ in range(4):
            try:
                held.append(load.connect(self.port, self.trust, self.ledger))
            except Exception as exc:
                print("live: could not open a connection to hold through the drain: %r" % exc)
        self.proc.send_signal(signal.SIGTERM)
        for t in threads[:-1]:
            t.join(30)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "no exit 60 s after SIGTERM"
        for tls in held:
            tls.close()
        self.upstream.proc.kill()
        self.upstream.proc.wait()
        return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    live = Live(args)
    try:
        live.start()
        rc = live.run()
    finally:
        if getattr(live, "proc", None) and live.proc.poll() is None:
            live.proc.kill()
        shutil.rmtree(live.tmp, ignore_errors=True)
    ok = {k: v for (k, o), v in live.ledger.counts.items() if o == "ok"}
    bad = {"%s %s" % ko: v for ko, v in live.ledger.counts.items() if ko[1] != "ok"}
    print("live: ok %s" % " ".join("%s=%d" % kv for kv in sorted(ok.items())))
    print("live: not ok (allowed here: the storm replaces CAs every second) %s"
          % (" ".join("%s=%d" % kv for kv in sorted(bad.items())) or "none"))
    print("live: %s; certgate exit status after SIGTERM: %s"
          % (" ".join("%s=%d" % kv for kv in sorted(live.counts.items())), rc))
    with open(args.log, errors="replace") as f:
        log = f.read()
    failures = []
    if rc != 0:
        failures.append("certgate exit status %s" % rc)
    if sum(ok.get(k, 0) for k in ("keepalive", "newconn")) == 0:
        failures.append("no request succeeded")
    for marker in ("Sanitizer", "Fatal error", "runtime error"):
        if marker in log:
            failures.append("the log has %r" % marker)
    for f in failures:
        print("live: FAIL %s" % f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
