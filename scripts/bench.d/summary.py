#!/usr/bin/env python3
"""Summary table of a scripts/bench results file.

  summary.py RESULTS.tsv

The file has a header line and the columns scenario, proxy, round, metric, value, unit, detail. For
every (scenario, metric) that the table knows, it prints the median over the rounds for each proxy, the
best (lowest) peer and certgate / best peer: below 1 means certgate uses less. Errors are summed over
the rounds and listed when any proxy had some.

The fixed-rate scenarios (newconn-fixed, keepalive-fixed) come right after their saturated counterparts,
with the rate wrk reached in the saturated run (from its `rps=` detail) and the rate each proxy achieved
at the fixed rate; rate rows are for reading only and get no ratio. Fixed-rate runs that did not sustain
the offered rate are listed under the table, and their cells are marked `*`: their CPU figures were
taken at a lower rate.

With a `certgate-base` column (scripts/bench --baseline), a last column gives certgate / certgate-base.

Rows of other certgate variants (e.g. `certgate-stat`, certgate run with --watch stat in reload, or
`certgate-fwd`, certgate --forward-headers in forward, `certgate-h2` in h2) get a column of their own but are
not peers: "best peer" is never a certgate variant. In forward the ratio is certgate-fwd / best peer, in h2
certgate-h2 / best of nginx-h2 and haproxy-h2. When the best
peer's value is 0 the ratio is meaningless and the table says `both 0` or `peer 0`. A text value
(`timeout`, `n/a`) prints as is and gives no ratio.

Reference rows are not peers either: `openssl-floor` (newconn: OpenSSL's own server-side handshake
over a memory BIO pair, hsfloor.c) gets a column and a line saying how far above it each proxy is. The
scale scenario (certgate-w1, certgate-w2) gets a line with the ratio of new connections per CPU-second.
"""
import csv
import statistics
import sys

# (scenario, metric, label); lower is better for all of them.
ROWS = [
    ("newconn", "cpu_us_per_req", "newconn: CPU us per new TLS connection (full handshake + 1 request)"),
    ("newconn", "rps", "newconn: connections/s wrk reached (saturated)"),
    ("newconn-fixed", "cpu_us_per_req", "newconn-fixed: CPU us per new TLS connection at RATE/s"),
    ("newconn-fixed", "achieved_rps", "newconn-fixed: connections/s achieved (of RATE)"),
    ("resume", "cpu_us_per_req", "resume: CPU us per connection, wrk resuming sessions (TLS 1.3 PSK)"),
    ("keepalive", "cpu_us_per_req", "keepalive: CPU us per keep-alive request (/hello)"),
    ("keepalive", "rps", "keepalive: requests/s wrk reached (saturated)"),
    ("keepalive-fixed", "cpu_us_per_req", "keepalive-fixed: CPU us per keep-alive request at RATE/s"),
    ("keepalive-fixed", "achieved_rps", "keepalive-fixed: requests/s achieved (of RATE)"),
    ("mib", "cpu_us_per_req", "mib: CPU us per MiB (/mib, 1 MiB body, keep-alive)"),
    ("forward", "cpu_us_per_req", "forward: CPU us per keep-alive request, X-Forwarded-* set"),
    ("h2", "cpu_us_per_req", "h2: CPU us per HTTP/2 request (h2 -> HTTP/1.1, X-Forwarded-*)"),
    ("idle", "kib_per_conn", "idle: RSS KiB per idle TLS connection"),
    ("certs10k", "ready_s", "certsN: seconds from exec to first handshake"),
    ("certs10k", "rss_mib", "certsN: RSS MiB when ready (sum of processes)"),
    ("certs10k", "pss_mib", "certsN: PSS MiB when ready (shared pages split)"),
    ("idle10k", "idle_cpu_pct", "idle10k: % of a core, idle with certsN (goal: <=0.3 auto, <=1 stat)"),
    ("reload", "latency_p50_ms", "reload: ms from rename to new cert served, p50"),
    ("reload", "latency_p99_ms", "reload: ms from rename to new cert served, p99"),
    ("reload", "latency_max_ms", "reload: ms from rename to new cert served, max"),
    ("reload", "settled_p99_ms", "reload: ms until 3 handshakes in a row get it, p99"),
    ("reload", "stale", "reload: old cert served after the new one was seen"),
    ("reload", "timeouts", "reload: rotations not served within the cap"),
    ("reload", "errors_keepalive", "reload: wrk keep-alive errors (socket + non-2xx)"),
    ("reload", "errors_newconn", "reload: wrk new-connection errors (socket + non-2xx)"),
    ("reload", "ll_dropped", "reload: long-lived connections dropped (of 20)"),
    ("scale", "cpu_us_per_req", "scale: CPU us per new connection, certgate 1 and 2 workers"),
]
# Rates: informational, no best peer or ratio.
NO_RATIO = {"rps", "achieved_rps"}
# Not proxies: never the best peer.
REFERENCES = {"openssl-floor"}
PROXY_ORDER = ["certgate", "certgate-base", "certgate-fwd", "certgate-h2", "certgate-stat", "certgate-w1", "certgate-w2",
               "hitch", "haproxy", "nginx", "haproxy-http", "nginx-http", "haproxy-h2", "nginx-h2"]
# The certgate variant compared with the peers, per scenario (default: certgate).
SUBJECT = {"forward": "certgate-fwd", "h2": "certgate-h2"}


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def fmt(v, count=False):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if count and float(v).is_integer():
        return f"{v:.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def r_value_note(detail):
    return "n/a (" + detail + ")" if detail else "n/a"


def main(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    proxies = [p for p in PROXY_ORDER if any(r["proxy"] == p for r in rows)]
    proxies += sorted({r["proxy"] for r in rows} - set(proxies))
    col_w = max([10] + [len(p) + 2 for p in proxies])
    values, texts, errors, counts = {}, {}, {}, set()
    certs_n = None
    for r in rows:
        key = (r["scenario"], r["metric"], r["proxy"])
        if r["unit"] == "count":
            counts.add((r["scenario"], r["metric"]))
        v = num(r["value"])
        if r["metric"] == "errors" and v is not None:
            errors[(r["scenario"], r["proxy"])] = errors.get((r["scenario"], r["proxy"]), 0) + v
        if v is None:
            texts[key] = r["value"]
        else:
            values.setdefault(key, []).append(v)
        if r["scenario"] in ("certs10k", "idle10k") and r["metric"] == "certs":
            certs_n = r["value"]
        if r["metric"] == "cpu_us_per_req" and r["detail"].startswith("rps="):  # wrk's requests/s
            rps = num(r["detail"].split()[0][4:])
            if rps is not None:
                values.setdefault((r["scenario"], "rps", r["proxy"]), []).append(rps)
    rates = {}  # fixed-rate scenario -> offered rate
    for (scen, metric, _), vs in values.items():
        if metric == "target_rps":
            rates[scen] = fmt(statistics.median(vs))

    unsustained = {(r["scenario"], r["proxy"]) for r in rows if r["metric"] == "sustained" and r["value"] == "0"}
    label_w = max(len(l) for _, _, l in ROWS)
    has_base = "certgate-base" in proxies
    head = (f"{'':<{label_w}}  " + "".join(f"{p:>{col_w}}" for p in proxies) + f"{'best peer':>18}{'certgate/best':>15}"
            + (f"{'certgate/base':>15}" if has_base else ""))
    out = [head, "-" * len(head)]
    for scen, metric, label in ROWS:
        if not any((scen, metric, p) in values or (scen, metric, p) in texts for p in proxies):
            continue
        if certs_n:
            label = label.replace("certsN", f"certs{certs_n}")
        label = label.replace("RATE", rates.get(scen, "?"))
        med = {}
        cells = []
        for p in proxies:
            if (scen, metric, p) in values:
                med[p] = statistics.median(values[(scen, metric, p)])
                cells.append(fmt(med[p], (scen, metric) in counts) + ("*" if (scen, p) in unsustained else ""))
            else:
                cells.append(texts.get((scen, metric, p), "-"))
        peers = {p: v for p, v in med.items() if not p.startswith("certgate") and p not in REFERENCES}
        best = min(peers, key=peers.get) if peers else None
        ratio = "-"
        subject = SUBJECT.get(scen, "certgate")
        if metric in NO_RATIO:
            best = None
        if best is not None and subject in med:
            if peers[best] > 0:
                ratio = f"{med[subject] / peers[best]:.2f}"
            else:
                ratio = "both 0" if med[subject] == 0 else "peer 0"
        best_s = f"{best} {fmt(peers[best], (scen, metric) in counts)}" if best else "-"
        base_ratio = ""
        if has_base:
            base_ratio = "-"
            if "certgate" in med and metric not in NO_RATIO and med.get("certgate-base"):
                base_ratio = f"{med['certgate'] / med['certgate-base']:.2f}"
        out.append(f"{label:<{label_w}}  " + "".join(f"{c:>{col_w}}" for c in cells) + f"{best_s:>18}{ratio:>15}"
                   + (f"{base_ratio:>15}" if has_base else ""))
    print("\n".join(out))
    fwd = {p: statistics.median(values[("forward", "cpu_us_per_req", p)])
           for p in ("certgate", "certgate-fwd") if ("forward", "cpu_us_per_req", p) in values}
    if len(fwd) == 2 and fwd["certgate"] > 0:
        print(f"\nforward: --forward-headers {fwd['certgate-fwd']:.1f} us vs plain {fwd['certgate']:.1f} us per request"
              f" (+{fwd['certgate-fwd'] - fwd['certgate']:.1f} us, x{fwd['certgate-fwd'] / fwd['certgate']:.2f});"
              " the ratio column compares certgate-fwd with the HTTP-mode peers")
    references(values)
    triggers = {r["proxy"]: r["detail"] for r in rows if r["scenario"] == "reload" and r["metric"] == "trigger"}
    if triggers:
        print("\nreload: how each proxy learnt of a rotation:")
        for p in proxies:
            if p in triggers:
                print(f"  {p:<14} {triggers[p]}")
        if triggers.get("certgate", "").startswith("SIGHUP"):
            print("  NOTE: certgate was sent SIGHUP (--certgate-trigger sighup); its own watcher was not measured.")
        elif "certgate" in triggers and any(not p.startswith("certgate") for p in triggers):
            print("  NOTE: the peers were signalled right after each rename, certgate was not: its latency includes\n"
                  "  noticing the change by itself (watcher, debounce), theirs starts at the signal. The latency\n"
                  "  ratio compares a self-detected reload with a signalled one.")
    na = {r["proxy"]: r["detail"] for r in rows
          if r["scenario"] == "reload" and r["metric"] == "rotations" and num(r["value"]) is None}
    for p, why in na.items():
        print(f"  {p}: {r_value_note(why)}")
    for r in rows:
        if r["scenario"] == "reload" and r["metric"] == "not_attempted" and num(r["value"]):
            print(f"  {r['proxy']}: {r['value']} rotations not attempted (stopped after 3 consecutive timeouts"
                  " or at the deadline)")
    short = [r for r in rows if r["metric"] == "sustained" and r["value"] == "0"]
    if short:
        print("\n* fixed-rate runs that did NOT sustain the offered rate (CPU per operation taken at a lower rate;"
              " not comparable):")
        for r in short:
            got = {m["metric"]: m["value"] for m in rows
                   if (m["scenario"], m["proxy"], m["round"]) == (r["scenario"], r["proxy"], r["round"])}
            print(f"  {r['scenario']:<16} {r['proxy']:<10} round {r['round']}: achieved {got.get('achieved_rps', '?')}"
                  f"/s of {got.get('target_rps', '?')}/s, {got.get('requests', '?')} ok, {got.get('errors', '?')} errors")
    bad = {k: v for k, v in errors.items() if v}
    if bad:
        print("\nerrors reported by wrk, or h2load in h2 (connect/read/write/timeout/4xx-5xx, summed over rounds):")
        for (scen, p), v in sorted(bad.items()):
            print(f"  {scen:<10} {p:<10} {v:.0f}")


def references(values):
    """The lines for the OpenSSL floor (newconn) and for scale."""
    med = {k: statistics.median(v) for k, v in values.items()}
    floor = med.get(("newconn", "cpu_us_per_req", "openssl-floor"))
    if floor:
        above = [f"{p} +{v - floor:.0f} us (x{v / floor:.2f})" for (s, m, p), v in sorted(med.items())
                 if s == "newconn" and m == "cpu_us_per_req" and p != "openssl-floor"]
        print(f"\nnewconn: OpenSSL floor {floor:.0f} us per handshake (server side, memory BIO, no TCP, no request);"
              f" above it: {', '.join(above)}")
    w1, w2 = (med.get(("scale", "conns_per_cpu_s", p)) for p in ("certgate-w1", "certgate-w2"))
    if w1 and w2:
        print(f"\nscale: new connections per CPU-second, --workers 1 {w1:.0f}, --workers 2 {w2:.0f}:"
              f" 2 workers / 1 worker = {w2 / w1:.2f} (1.00: a second worker costs nothing per connection)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
