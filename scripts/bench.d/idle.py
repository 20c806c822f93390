#!/usr/bin/env python3
"""Memory per idle TLS connection, for scripts/bench.

  idle.py PORT N PID[,PID...]

1. Warm-up: one TLS connection sends GET /hello, reads the answer and closes (so one-time start-up
   allocations of the first connection are not counted as per-connection memory).
2. Reads the proxy's memory: the sum over the given processes of VmRSS (/proc/PID/status) and of Pss
   (/proc/PID/smaps_rollup, which splits shared pages between the processes that share them).
3. Opens N TLS connections (at most 100 handshakes in flight), keeps every one that completed its
   handshake open and idle, waits 2 s for the proxy to finish its side (upstream connect, tickets).
4. Reads the memory again and prints one line:
   conns=OK fails=F rss_before_kib=.. rss_after_kib=.. pss_before_kib=.. pss_after_kib=.. kib_per_conn=..
   (kib_per_conn is the RSS growth divided by the connections that are open).
"""
import asyncio
import ssl
import sys

from procmem import memory




async def main(port, n, pids):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3

    r, w = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="bench.test"), 10)
    w.write(b"GET /hello HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n")
    await asyncio.wait_for(r.read(), 10)
    w.close()
    await asyncio.sleep(1.0)

    rss0, pss0 = memory(pids)
    conns, fails = [], 0
    sem = asyncio.Semaphore(100)

    async def one():
        nonlocal fails
        async with sem:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="bench.test"), 30)
                conns.append(writer)
            except Exception:
                fails += 1

    await asyncio.gather(*[one() for _ in range(n)])
    await asyncio.sleep(2.0)
    rss1, pss1 = memory(pids)
    ok = len(conns)
    per = (rss1 - rss0) / ok if ok else float("nan")
    print(f"conns={ok} fails={fails} rss_before_kib={rss0} rss_after_kib={rss1} "
          f"pss_before_kib={pss0} pss_after_kib={pss1} kib_per_conn={per:.1f}", flush=True)
    for writer in conns:
        writer.transport.abort()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), [int(p) for p in sys.argv[3].split(",") if p]))
