#!/usr/bin/env python3
"""scripts/soak's engine: certgate under everything at once on loopback, then a table and the rules.

  soak.py --bin PATH --build-kind KIND [--minutes N] [--keep]

See scripts/soak for what runs; docs/hardening.md for the rules and the figures of a run.
Python 3 standard library only; certificates come from the openssl command line."""
import argparse
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402
from pki import Pki  # noqa: E402
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(ROOT, "Tests", "integration", "upstream.py")
SECRET_EVERY, CA_EVERY, UPSTREAM_EVERY, UPSTREAM_DOWN = 2.0, 10.0, 20.0, 1.0
KEEPALIVE_CLIENTS, NEWCONN_CLIENTS, SLOWLORIS = 4, 4, 300
# An error may come from a request that overlaps a down window, widened by this much on each side.
SLACK = 0.5
ALLOWED_WHILE_DOWN = {"http_502", "closed_response", "closed_head", "closed_body", "reset"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Secret:
    """A Kubernetes secret volume: NAME/tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory)
        for f in ("tls.crt", "tls.key"):
            os.symlink(os.path.join("..data", f), os.path.join(directory, f))
        self.rotations = 0

    def write(self, crt, key):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.%f")
        new = os.path.join(self.dir, stamp)
        os.mkdir(new)
        for name, data in (("tls.crt", crt), ("tls.key", key)):
            with open(os.path.join(new, name), "wb") as f:
                f.write(data)
        link = os.path.join(self.dir, "..data")
        old = os.readlink(link) if os.path.islink(link) else None
        os.symlink(stamp, link + "_tmp")
        os.rename(link + "_tmp", link)
        if old:
            shutil.rmtree(os.path.join(self.dir, old))
        self.rotations += 1


class Upstream:
    def __init__(self, port, logdir):
        self.port, self.logdir = port, logdir
        self.proc = None
        self.windows = []  # (down since, up again)
        self.kills = 0

    def start(self):
        log = open(os.path.join(self.logdir, "upstream.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, UPSTREAM, "http", "--port", str(self.port)],
                                     stdout=log, stderr=log)
        if not wait_port(self.port, 10):
            raise RuntimeError("the upstream did not start on port %d" % self.port)

    def cycle(self, stop):
        while not stop.wait(UPSTREAM_EVERY):
            down = time.time()
            self.proc.kill()
            self.proc.wait()
            self.kills += 1
            time.sleep(UPSTREAM_DOWN)
            self.start()
            self.windows.append((down, time.time()))


class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="certgate-soak-")
        self.pki = Pki(os.path.join(self.tmp, "pki"))
        self.ledger = load.Ledger()
        self.port, self.admin_port, self.up_port = free_port(), free_port(), free_port()
        self.token = "soak-" + os.urandom(16).hex()
        self.ca_file = os.path.join(self.tmp, "client-ca", "ca.pem")
        self.generations = []  # (k, cert, key)
        self.ca_rotations = 0
        self.ca_notes = []
        self.crash = None
        self.proc = None

    # --- set-up -------------------------------------------------------------------------------------
    def setup(self):
        server_ca = self.pki.server_ca()
        self.trust = load.Trust(server_ca)
        self.secret = Secret(os.path.join(self.tmp, "secrets", "soak"))
        self.secret.write(*self.pki.server_leaf()[:2])
        os.makedirs(os.path.dirname(self.ca_file))
        self._new_client_ca()
        self.trust.allow(self.generations)
        with open(os.path.join(self.tmp, "admin.token"), "w") as f:
            f.write(self.token + "\n")
        self.upstream = Upstream(self.up_port, self.tmp)
        self.upstream.start()
        self.log_path = os.path.join(self.tmp, "certgate.log")
        cmd = [self.args.bin, "run", "--listen", "127.0.0.1:%d" % self.port,
               "--upstream", "127.0.0.1:%d" % self.up_port, "--cert-dir", os.path.join(self.tmp, "secrets"),
               "--admin", "127.0.0.1:%d" % self.admin_port,
               "--admin-token-file", os.path.join(self.tmp, "admin.token"),
               "--client-ca", self.ca_file, "--forward-headers", "--handshake-timeout", "5s", "--workers", "2"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        if not wait_port(self.port, 30) or not wait_port(self.admin_port, 5):
            raise RuntimeError("certgate did not start; log:\n" + open(self.log_path).read()[-2000:])

    def _new_client_ca(self):
        k = len(self.generations) + 1 if not self.generations else self.generations[-1][0] + 1
        ca, crt, key = self.pki.client_generation(k)
        tmp = self.ca_file + ".tmp"
        shutil.copyfile(ca, tmp)
        os.rename(tmp, self.ca_file)
        self.generations.append((k, crt, key))
        self.generations = self.generations[-2:]

    # --- rotations ----------------------------------------------------------------------------------
    def rotate_secret(self, stop):
        while not stop.wait(SECRET_EVERY):
            self.secret.write(*self.pki.server_leaf()[:2])

    def rotate_client_ca(self, stop):
        """Clients first stop presenting the older generation, then a new CA replaces the file; once
        certgate reports the reload, clients present the new one or the one before."""
        while not stop.wait(CA_EVERY):
            self.trust.allow(self.generations[-1:])
            time.sleep(2.0)  # handshakes that picked the older certificate finish
            before = self._ca_reloads()
            self._new_client_ca()
            deadline = time.time() + 10
            while self._ca_reloads() <= before and time.time() < deadline:
                time.sleep(0.1)
            if self._ca_reloads() <= before:
                self.ca_notes.append("client CA %d: no successful reload within 10 s" % self.generations[-1][0])
            self.trust.allow(self.generations)
            self.ca_rotations += 1

    def _ca_reloads(self):
        try:
            return load.metric_sum(load.scrape(self.admin_port, self.token),
                                   "certgate_client_ca_reloads_total", result="success")
        except Exception:
            return -1

    # --- phases -------------------------------------------------------------------------------------
    def phase(self, seconds, name):
        stop = threading.Event()
        slow = load.Slowloris(self.port, SLOWLORIS)
        self.scraper = load.Scraper(self.admin_port, self.token, self.ledger)
        jobs = [(load.keepalive_client, (self.port, self.trust, self.ledger, stop))] * KEEPALIVE_CLIENTS
        jobs += [(load.newconn_client, (self.port, self.trust, self.ledger, stop))] * NEWCONN_CLIENTS
        jobs += [(slow.run, (stop,)), (self.scraper.run, (stop,)), (self.rotate_secret, (stop,)),
                 (self.rotate_client_ca, (stop,)), (self.upstream.cycle, (stop,))]
        threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in jobs]
        for t in threads:
            t.start()
        end = time.time() + seconds
        while time.time() < end and self.crash is None:
            time.sleep(0.5)
            self.check_alive()
        stop.set()
        for t in threads:
            t.join(30)
        self.slowloris = getattr(self, "slowloris", [])
        self.slowloris.append(slow)
        print("soak: %s done (%.0f s)" % (name, seconds), file=sys.stderr)

    def check_alive(self):
        if self.crash is None and self.proc.poll() is not None:
            self.crash = "certgate exited with status %s" % self.proc.returncode

    def quiesce_sample(self):
        """Wait until certgate holds no client connection, then read fds and RSS from /proc."""
        deadline = time.time() + 20
        metrics = {}
        while time.time() < deadline:
            try:
                metrics = load.scrape(self.admin_port, self.token)
                if load.metric_sum(metrics, "certgate_connections_active") == 0:
                    break
            except Exception:
                pass
            time.sleep(0.25)
        time.sleep(1.0)
        self.check_alive()
        if self.crash:
            return {"fds": None, "rss": None, "metrics": metrics}
        fds = len(os.listdir("/proc/%d/fd" % self.proc.pid))
        rss = 0
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        return {"fds": fds, "rss": rss, "metrics": metrics}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.crash = self.crash or "certgate did not stop within 40 s of SIGTERM"
        if self.proc and self.proc.returncode not in (0, None, -signal.SIGKILL) and self.crash is None:
            self.crash = "certgate exited with status %s after SIGTERM" % self.proc.returncode
        if self.upstream.proc:
            self.upstream.proc.kill()
            self.upstream.proc.wait()
        with open(self.log_path, errors="replace") as f:
            log = f.read()
        for marker in ("Fatal error", "Sanitizer", "Segmentation fault", "Illegal instruction"):
            if marker in log and self.crash is None:
                self.crash = "certgate's log has %r" % marker


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--build-kind", default="given")
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    run = Run(args)
    total = args.minutes * 60
    warmup = min(45.0, 0.25 * total)
    try:
        run.setup()
        base = run.quiesce_sample()
        run.phase(warmup, "warm-up")
        start = run.quiesce_sample()
        run.phase(total - warmup, "measured run")
        end = run.quiesce_sample()
    finally:
        run.stop()
        if not args.keep:
            shutil.rmtree(run.tmp, ignore_errors=True)
    failed = report.report(run, args, warmup, total, base, start, end)
    if args.keep:
        print("kept: %s" % run.tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
