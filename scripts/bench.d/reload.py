#!/usr/bin/env python3
"""Certificate rotation under load, for scripts/bench (needs the `cryptography` package).

  reload.py PORT SERVED_FILE ROTATE_DIR N [options]

The proxy on 127.0.0.1:PORT serves SERVED_FILE (certificate then key) for SNI bench.test; the load
(wrk) is already running. This helper:

1. Checks that the proxy serves SERVED_FILE's certificate and times 20 probe handshakes (probe_ms:
   the median, the resolution floor of every latency below).
2. Opens --conns long-lived TLS keep-alive connections (a child process) and sends GET /hello on each
   about every --interval s, with a jitter, until told to stop. A connection that fails once (reset,
   EOF, TLS error, no complete answer within 5 s) counts as dropped and is not reopened.
3. Waits 1 s, then N times: writes ROTATE_DIR/NNNN.pem to a temporary file `.NAME.tmp` in
   SERVED_FILE's directory and renames it over SERVED_FILE (atomic), then, with --signal SIG --pid
   PID, sends SIG to PID (the proxy's reload trigger; without it the proxy must notice the change
   itself). From the rename on, it makes a TLS 1.3 handshake with SNI bench.test every --poll-ms ms
   (new TCP connection, full handshake) and reads the serial of the certificate served
   (getpeercert(binary_form=True), parsed with `cryptography`). latency = time from the rename
   returning to the end of the first handshake that returns the new serial; none within --timeout s
   is a timeout. Polling goes on until 3 handshakes in a row return the new serial: `stale` counts
   the handshakes that returned an older one after the new one had been seen (a proxy whose old
   workers still accept), and settled = time from the rename to the first of those 3 in a row (equal
   to latency when nothing was stale). Then it waits --gap s plus a random 0..--jitter s.
   After --stop-after consecutive timeouts, or past --deadline s, it stops rotating; the rotations
   not done are reported as not_attempted.
4. Waits --settle s more with the long-lived connections still in use, stops them and prints one line:

  rotations=DONE timeouts=T not_attempted=S p50_ms=.. p99_ms=.. max_ms=.. mean_ms=..
  settled_p50_ms=.. settled_p99_ms=.. stale=S probe_ms=.. probe_failures=F ll_conns=OK/C ll_dropped=D
  ll_requests=R ll_reasons=... elapsed_s=..

Percentiles are nearest-rank over every rotation done, a timeout counting as infinitely slow, so a
percentile that falls on a timeout prints `timeout` (p99 of 20 rotations is the maximum). A failed
probe handshake (refused, reset, TLS error) is counted in probe_failures and polling goes on.
"""
import argparse
import asyncio
import math
import multiprocessing
import os
import random
import signal
import socket
import ssl
import statistics
import sys
import time

from cryptography import x509

CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
CTX.minimum_version = ssl.TLSVersion.TLSv1_3
SNI = "bench.test"
REQUEST = b"GET /hello HTTP/1.1\r\nHost: bench.test\r\n\r\n"


def served_serial(port, timeout):
    """Serial of the certificate served on a new connection with a full TLS 1.3 handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        raw.settimeout(timeout)
        with CTX.wrap_socket(raw, server_hostname=SNI) as s:
            der = s.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def file_serial(data):
    return x509.load_pem_x509_certificate(data).serial_number


# --- long-lived connections (child process) --------------------------------------------------------

async def one_conn(port, interval, stop, stats, ready):
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=CTX, server_hostname=SNI), 10)
    except Exception as e:
        stats["connect_failed"] += 1
        stats["reasons"][f"connect:{type(e).__name__}"] = stats["reasons"].get(f"connect:{type(e).__name__}", 0) + 1
        ready.append(False)
        return
    first = True
    try:
        while True:
            w.write(REQUEST)
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await asyncio.wait_for(r.readexactly(length), 5)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError("non-200")
            stats["requests"] += 1
            if first:
                ready.append(True)
                first = False
            try:
                await asyncio.wait_for(stop.wait(), interval * random.uniform(0.8, 1.2))
                break
            except asyncio.TimeoutError:
                pass
    except Exception as e:
        if first:
            ready.append(False)
        stats["dropped"] += 1
        name = "EOF" if isinstance(e, asyncio.IncompleteReadError) else type(e).__name__
        stats["reasons"][name] = stats["reasons"].get(name, 0) + 1
    finally:
        w.transport.abort()


async def orphan_guard(parent, stop):
    """Stop when the parent is gone (killed by a timeout or Ctrl-C without telling us)."""
    while not stop.is_set():
        if os.getppid() != parent:
            stop.set()
        await asyncio.sleep(0.5)


def on_pipe(pipe, stop):
    try:
        pipe.recv()
    except (EOFError, OSError):
        pass
    stop.set()


async def longlived_main(port, n, interval, pipe, parent):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(pipe.fileno(), on_pipe, pipe, stop)
    guard = asyncio.create_task(orphan_guard(parent, stop))
    stats = {"requests": 0, "dropped": 0, "connect_failed": 0, "reasons": {}}
    ready = []
    tasks = []
    for _ in range(n):
        tasks.append(asyncio.create_task(one_conn(port, interval, stop, stats, ready)))
        await asyncio.sleep(interval / n)  # spread the requests over the interval
    t0 = time.monotonic()
    while len(ready) < n and time.monotonic() - t0 < 15:
        await asyncio.sleep(0.01)
    pipe.send(("ready", sum(ready)))
    await asyncio.gather(*tasks)
    stop.set()
    await guard
    try:
        pipe.send(("done", stats))
    except OSError:
        pass


def longlived_child(port, n, interval, pipe, parent):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(longlived_main(port, n, interval, pipe, parent))


# --- rotations -------------------------------------------------------------------------------------

def percentile(sorted_vals, p):
    """Nearest rank; math.inf stays inf."""
    if not sorted_vals:
        return None
    k = max(1, math.ceil(p / 100 * len(sorted_vals)))
    return sorted_vals[k - 1]


def ms(v):
    if v is None:
        return "none"
    return "timeout" if math.isinf(v) else f"{v * 1000:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("port", type=int)
    ap.add_argument("served_file")
    ap.add_argument("rotate_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--signal", default="", help="signal name (HUP, USR2) to send to --pid after each rename")
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--conns", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--poll-ms", type=float, default=5)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--gap", type=float, default=0.3)
    ap.add_argument("--jitter", type=float, default=0.2)
    ap.add_argument("--settle", type=float, default=2)
    ap.add_argument("--stop-after", type=int, default=3)
    ap.add_argument("--deadline", type=float, default=600)
    a = ap.parse_args()
    sig = getattr(signal, "SIG" + a.signal) if a.signal else None
    if sig and not a.pid:
        sys.exit("--signal needs --pid")

    started = time.monotonic()
    certs = [open(os.path.join(a.rotate_dir, f"{i:04d}.pem"), "rb").read() for i in range(1, a.n + 1)]
    serials = [file_serial(c) for c in certs]
    with open(a.served_file, "rb") as f:
        current = file_serial(f.read())
    got = served_serial(a.port, 5)
    if got != current:
        sys.exit(f"reload.py: the proxy serves serial {got:x}, expected {current:x} (from {a.served_file})")
    probes = []
    for _ in range(20):
        t = time.monotonic()
        served_serial(a.port, 5)
        probes.append(time.monotonic() - t)
        time.sleep(a.poll_ms / 1000)
    probe_ms = statistics.median(probes) * 1000

    mp = multiprocessing.get_context("fork")
    parent_end, child_end = mp.Pipe()
    child = mp.Process(target=longlived_child, args=(a.port, a.conns, a.interval, child_end, os.getpid()), daemon=True)
    child.start()
    if not parent_end.poll(30):
        child.kill()
        sys.exit("reload.py: the long-lived connections did not start")
    _, ll_ready = parent_end.recv()
    time.sleep(1)

    directory = os.path.dirname(os.path.abspath(a.served_file))
    tmp = os.path.join(directory, "." + os.path.basename(a.served_file) + ".tmp")
    latencies, settled, probe_failures, stale, consecutive = [], [], 0, 0, 0
    poll = a.poll_ms / 1000
    for i, (pem, serial) in enumerate(zip(certs, serials)):
        if time.monotonic() - started > a.deadline or consecutive >= a.stop_after:
            break
        with open(tmp, "wb") as f:
            f.write(pem)
        os.chmod(tmp, 0o644)
        os.rename(tmp, a.served_file)
        t0 = time.monotonic()
        if sig:
            os.kill(a.pid, sig)
        latency = settle = math.inf
        run = 0  # handshakes in a row that returned the new serial
        while True:
            t = time.monotonic()
            try:
                if served_serial(a.port, 2) == serial:
                    if run == 0:
                        settle = time.monotonic() - t0
                    if math.isinf(latency):
                        latency = settle
                    run += 1
                    if run == 3:
                        break
                else:
                    if not math.isinf(latency):
                        stale += 1
                    run = 0
            except (OSError, ssl.SSLError):
                probe_failures += 1
            now = time.monotonic()
            if now - t0 >= a.timeout:
                break
            time.sleep(max(0.0, poll - (now - t)))
        latencies.append(latency)
        settled.append(settle if run == 3 else math.inf)
        if math.isinf(latency):
            consecutive += 1
            print(f"# rotation {i + 1}: timeout ({a.timeout:g}s)", file=sys.stderr, flush=True)
        else:
            consecutive = 0
        time.sleep(a.gap + random.uniform(0, a.jitter))

    time.sleep(a.settle)
    parent_end.send("stop")
    stats = None
    if parent_end.poll(15):
        _, stats = parent_end.recv()
    child.join(5)
    if child.is_alive():
        child.kill()
    if stats is None:
        stats = {"requests": 0, "dropped": "?", "connect_failed": "?", "reasons": {"child": "no answer"}}

    done = len(latencies)
    vals = sorted(latencies)
    svals = sorted(settled)
    timeouts = sum(1 for v in latencies if math.isinf(v))
    finite = [v for v in latencies if not math.isinf(v)]
    reasons = ",".join(f"{k}:{v}" for k, v in sorted(stats["reasons"].items())) or "none"
    print(f"rotations={done} timeouts={timeouts} not_attempted={a.n - done} "
          f"p50_ms={ms(percentile(vals, 50))} p99_ms={ms(percentile(vals, 99))} max_ms={ms(vals[-1] if vals else None)} "
          f"mean_ms={ms(statistics.mean(finite)) if finite else 'none'} "
          f"settled_p50_ms={ms(percentile(svals, 50))} settled_p99_ms={ms(percentile(svals, 99))} stale={stale} "
          f"probe_ms={probe_ms:.1f} probe_failures={probe_failures} ll_conns={ll_ready}/{a.conns} "
          f"ll_dropped={stats['dropped']} ll_requests={stats['requests']} ll_reasons={reasons} "
          f"elapsed_s={time.monotonic() - started:.1f}", flush=True)


if __name__ == "__main__":
    main()
