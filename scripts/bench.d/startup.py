#!/usr/bin/env python3
"""Start-up of a TLS proxy with many SNI certificates, for scripts/bench.

  startup.py PORT TIMEOUT_S CERTS_DIR N LOGFILE -- COMMAND [ARGS...]

Starts COMMAND (its own session, output to LOGFILE) and measures the time from exec to the first
completed TLS handshake on 127.0.0.1:PORT (a TCP connect is tried every 10 ms; once it connects, a
TLS 1.3 handshake with the SNI name of certificate 0). At that moment it reads the memory of the
process tree (sum of VmRSS, sum of Pss). Then, for 3 randomly chosen certificates
hostNNNNN.example.com (CERTS_DIR/hostNNNNN.pem), it makes a handshake with that SNI name and checks
that the certificate served is exactly that file's certificate. It stops the process tree and prints:

  ready_s=S rss_kib=K pss_kib=K procs=P sni_ok=OK/TRIED cpu_s=S cpuN_other=P%
(cpu_s: CPU time the process tree had used when ready; cpuN_other: share of the busy time of CPU
$CGB_PROXY_CPU, default 1, over the start-up that was not this process tree, i.e. interference)
or ready_s=timeout ... / ready_s=exited rc=RC (the last log line follows).
"""
import hashlib
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time

from procmem import memory, tree


HZ = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    """utime + stime of every thread of the given processes."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{pid}/task/{t}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
    return total


def cpu_busy(cpu):
    """Busy ticks (user nice system irq softirq steal) of one CPU, from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0] == f"cpu{cpu}":
                v = [int(x) for x in parts[1:9]]
                return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return 0




CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
CTX.minimum_version = ssl.TLSVersion.TLSv1_3


def handshake(port, sni, timeout):
    """DER of the certificate served for sni."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        raw.settimeout(timeout)
        with CTX.wrap_socket(raw, server_hostname=sni) as s:
            return s.getpeercert(binary_form=True)


def expected_der(certs_dir, i):
    with open(os.path.join(certs_dir, f"host{i:05d}.pem")) as f:
        pem = f.read()
    end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return ssl.PEM_cert_to_DER_cert(pem[:end] + "\n")


def last_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
        return lines[-1] if lines else ""
    except OSError:
        return ""


def main():
    if len(sys.argv) < 8 or sys.argv[6] != "--":
        sys.exit(__doc__)
    port, limit, certs_dir, n, log = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    cmd = sys.argv[7:]
    cpu = int(os.environ.get("CGB_PROXY_CPU", "1"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with open(log, "wb") as logf:
        busy0 = cpu_busy(cpu)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        ready = None
        while time.monotonic() - t0 < limit:
            if proc.poll() is not None:
                print(f"ready_s=exited rc={proc.returncode} log: {last_line(log)}", flush=True)
                return
            try:
                handshake(port, "host00000.example.com", max(0.5, min(10.0, limit - (time.monotonic() - t0))))
                ready = time.monotonic() - t0
                break
            except (ConnectionRefusedError, ConnectionResetError, socket.timeout, ssl.SSLError, OSError):
                time.sleep(0.01)
        if ready is None:
            print(f"ready_s=timeout limit={limit:g}s", flush=True)
            return
        pids = tree(proc.pid)
        rss, pss = memory(pids)
        ticks = cpu_ticks(pids)
        busy = cpu_busy(cpu) - busy0
        other = max(0.0, 100.0 * (busy - ticks) / busy) if busy > 0 else 0.0
        ok = tried = 0
        for i in random.sample(range(n), min(3, n)):
            tried += 1
            try:
                if handshake(port, f"host{i:05d}.example.com", 10) == expected_der(certs_dir, i):
                    ok += 1
                else:
                    print(f"# wrong certificate for host{i:05d}.example.com", file=sys.stderr)
            except Exception as e:
                print(f"# handshake for host{i:05d}.example.com failed: {e}", file=sys.stderr)
        print(f"ready_s={ready:.3f} rss_kib={rss} pss_kib={pss} procs={len(pids)} sni_ok={ok}/{tried} "
              f"cpu_s={ticks / HZ:.2f} cpu{cpu}_other={other:.0f}%", flush=True)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
