#!/usr/bin/env python3
"""Summary table of a scripts/bench results file.

  summary.py RESULTS.tsv

The file has a header line and the columns scenario, proxy, round, metric, value, unit, detail. For
every (scenario, metric) that the table knows, it prints the median over the rounds for each proxy, the
best (lowest) peer and certgate / best peer: below 1 means certgate uses less. Errors are summed over
the rounds and listed when any proxy had some.
"""
import csv
import statistics
import sys

# (scenario, metric, label); lower is better for all of them.
ROWS = [
    ("newconn", "cpu_us_per_req", "newconn: CPU us per new TLS connection (full handshake + 1 request)"),
    ("resume", "cpu_us_per_req", "resume: CPU us per connection, wrk resuming sessions (TLS 1.3 PSK)"),
    ("keepalive", "cpu_us_per_req", "keepalive: CPU us per keep-alive request (/hello)"),
    ("mib", "cpu_us_per_req", "mib: CPU us per MiB (/mib, 1 MiB body, keep-alive)"),
    ("idle", "kib_per_conn", "idle: RSS KiB per idle TLS connection"),
    ("certs10k", "ready_s", "certsN: seconds from exec to first handshake"),
    ("certs10k", "rss_mib", "certsN: RSS MiB when ready (sum of processes)"),
    ("certs10k", "pss_mib", "certsN: PSS MiB when ready (shared pages split)"),
]
PROXY_ORDER = ["certgate", "hitch", "haproxy", "nginx"]


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def main(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    proxies = [p for p in PROXY_ORDER if any(r["proxy"] == p for r in rows)]
    proxies += sorted({r["proxy"] for r in rows} - set(proxies))
    values, texts, errors = {}, {}, {}
    certs_n = None
    for r in rows:
        key = (r["scenario"], r["metric"], r["proxy"])
        v = num(r["value"])
        if r["metric"] == "errors" and v is not None:
            errors[(r["scenario"], r["proxy"])] = errors.get((r["scenario"], r["proxy"]), 0) + v
        if v is None:
            texts[key] = r["value"]
        else:
            values.setdefault(key, []).append(v)
        if r["scenario"] == "certs10k" and r["metric"] == "certs":
            certs_n = r["value"]

    label_w = max(len(l) for _, _, l in ROWS)
    head = f"{'':<{label_w}}  " + "".join(f"{p:>10}" for p in proxies) + f"{'best peer':>18}{'certgate/best':>15}"
    out = [head, "-" * len(head)]
    for scen, metric, label in ROWS:
        if not any((scen, metric, p) in values or (scen, metric, p) in texts for p in proxies):
            continue
        if certs_n:
            label = label.replace("certsN", f"certs{certs_n}")
        med = {}
        cells = []
        for p in proxies:
            if (scen, metric, p) in values:
                med[p] = statistics.median(values[(scen, metric, p)])
                cells.append(fmt(med[p]))
            else:
                cells.append(texts.get((scen, metric, p), "-"))
        peers = {p: v for p, v in med.items() if p != "certgate"}
        best = min(peers, key=peers.get) if peers else None
        ratio = "-"
        if best is not None and "certgate" in med and peers[best] > 0:
            ratio = f"{med['certgate'] / peers[best]:.2f}"
        best_s = f"{best} {fmt(peers[best])}" if best else "-"
        out.append(f"{label:<{label_w}}  " + "".join(f"{c:>10}" for c in cells) + f"{best_s:>18}{ratio:>15}")
    print("\n".join(out))
    bad = {k: v for k, v in errors.items() if v}
    if bad:
        print("\nerrors reported by wrk (connect/read/write/timeout/non-2xx, summed over rounds):")
        for (scen, p), v in sorted(bad.items()):
            print(f"  {scen:<10} {p:<10} {v:.0f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
