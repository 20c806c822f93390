#!/usr/bin/env python3
"""Idle CPU of a TLS proxy, for scripts/bench (idle10k) and by hand.

  idlecpu.py PORT TIMEOUT_S SETTLE_S IDLE_S SNI LOGFILE -- COMMAND [ARGS...]

Starts COMMAND (its own session, output to LOGFILE), waits until a TLS handshake with server name SNI
completes on 127.0.0.1:PORT (at most TIMEOUT_S), lets it settle for SETTLE_S, then measures the CPU time
its process tree uses over IDLE_S seconds with no traffic at all. Prints one line:

  idle_cpu_pct=P ticks_cpu_pct=T wakeups_per_s=W ready_s=R idle_s=S threads=N

idle_cpu_pct: percent of one core, from the run time in /proc/PID/task/*/schedstat (nanoseconds);
ticks_cpu_pct: the same from utime + stime in /proc/PID/task/*/stat (clock ticks, coarser);
wakeups_per_s: context switches (voluntary + involuntary) per second, every thread.
Both are the process's own CPU time, so they hold on a machine busy with other work. The process tree
is stopped at the end (SIGTERM, then SIGKILL).
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

from procmem import tree

HZ = os.sysconf("SC_CLK_TCK")


def sample(pids):
    """(run ns from schedstat, utime+stime ticks, context switches, threads) over every thread."""
    run_ns = ticks = switches = threads = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for t in tasks:
            base = f"/proc/{pid}/task/{t}"
            try:
                with open(f"{base}/stat") as f:
                    stat = f.read()
                with open(f"{base}/schedstat") as f:
                    run_ns += int(f.read().split()[0])
                with open(f"{base}/status") as f:
                    for line in f:
                        if "ctxt_switches" in line:
                            switches += int(line.split()[-1])
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
            threads += 1
    return run_ns, ticks, switches, threads


def handshake(port, sni):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni):
            return True


def main():
    if "--" not in sys.argv or sys.argv.index("--") != 7:
        sys.exit(__doc__)
    port, timeout, settle, idle = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    sni, logfile, command = sys.argv[5], sys.argv[6], sys.argv[8:]
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    started = time.monotonic()
    try:
        ready = None
        while time.monotonic() - started < timeout:
            if proc.poll() is not None:
                print(f"idle_cpu_pct=NaN ready_s=exited rc={proc.returncode}")
                return
            try:
                handshake(port, sni)
                ready = time.monotonic() - started
                break
            except (OSError, ssl.SSLError):
                time.sleep(0.05)
        if ready is None:
            print("idle_cpu_pct=NaN ready_s=timeout")
            return
        time.sleep(settle)
        pids = tree(proc.pid)
        ns0, t0, s0, _ = sample(pids)
        w0 = time.monotonic()
        time.sleep(idle)
        ns1, t1, s1, threads = sample(pids)
        wall = time.monotonic() - w0
        print(
            f"idle_cpu_pct={100 * (ns1 - ns0) / 1e9 / wall:.3f} ticks_cpu_pct={100 * (t1 - t0) / HZ / wall:.3f} "
            f"wakeups_per_s={(s1 - s0) / wall:.1f} ready_s={ready:.2f} idle_s={wall:.1f} threads={threads}"
        )
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


if __name__ == "__main__":
    main()
