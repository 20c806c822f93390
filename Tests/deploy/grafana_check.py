#!/usr/bin/env python3
"""Checks deploy/grafana/certgate.json against a running Prometheus that scrapes a running certgate.

Usage: grafana_check.py DASHBOARD METRICS_FILE PROM_URL START JOB

  - the model: unique panel ids, every panel and target on the ${DS_PROMETHEUS} datasource variable,
    panels inside the 24-column grid and not overlapping, the job/instance/DS_PROMETHEUS variables;
  - every metric name in a query is a family certgate exported in METRICS_FILE (its /metrics text);
  - every query, with the Grafana variables substituted ($__rate_interval = 4 scrape intervals of 1 s,
    as Grafana computes it), is evaluated through the Prometheus HTTP API (instant targets with
    /api/v1/query, the others with /api/v1/query_range from START to now, step 1 s): no error, no warning;
  - every panel returns data; the CORE panels return data for every one of their queries, and a few
    values are what the test's traffic made.
Prints one line per finding ("BAD ...") or per check ("ok ..."); exits 1 on any BAD.
"""

import json
import re
import sys
import time
import urllib.parse
import urllib.request

DASH, METRICS, PROM, START, JOB = sys.argv[1:6]
# Panels whose every query must return data with the test's traffic (certgate with a client CA and CRL,
# TLS requests, a failed handshake): reloads, expiry, handshakes, connections, client CA.
CORE = {
    "Certificates served", "Soonest certificate expiry", "Last certificate reload", "Active connections",
    "Connection limit used", "Days until each certificate expires", "Certificate reloads by trigger and result",
    "Last successful reload", "Handshake rate by result", "Handshake failures by reason", "Handshake duration",
    "TLS versions", "Active connections and limit", "Connections accepted and closed by reason",
    "Bytes forwarded", "Limit reached, accept pauses, sheds", "Client-CA generations",
    "Days until each client CA expires, and each CRL's next update",
}
VARS = {"$__rate_interval": "4s", "$__interval": "1s", "$__range": "1m", "$job": JOB, "$instance": ".+"}
bad = 0


def check(ok, what):
    global bad
    print(("ok " if ok else "BAD ") + what)
    bad += 0 if ok else 1
    return ok


dash = json.load(open(DASH))
panels = [p for p in dash["panels"] if p["type"] != "row"]
ds = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}

# --- the model ---------------------------------------------------------------------------------------
names = {v["name"]: v for v in dash["templating"]["list"]}
check(names.get("DS_PROMETHEUS", {}).get("type") == "datasource"
      and names["DS_PROMETHEUS"].get("query") == "prometheus", "DS_PROMETHEUS is a prometheus datasource variable")
check({"job", "instance"} <= set(names), "job and instance variables")
ids = [p["id"] for p in dash["panels"]]
check(len(ids) == len(set(ids)), "panel ids are unique")
cells = {}
for p in dash["panels"]:
    g = p["gridPos"]
    if not check(g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, "panel %r inside the grid" % p["title"]):
        continue
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                check(False, "panel %r overlaps %r at %d,%d" % (p["title"], cells[(x, y)], x, y))
            cells[(x, y)] = p["title"]
for p in panels:
    check(p.get("datasource") == ds and p["targets"] and all(t.get("datasource") == ds for t in p["targets"]),
          "panel %r: %d queries on ${DS_PROMETHEUS}" % (p["title"], len(p["targets"])))
    refs = [t["refId"] for t in p["targets"]]
    check(len(refs) == len(set(refs)), "panel %r: refIds unique" % p["title"])
missing = CORE - {p["title"] for p in panels}
check(not missing, "every core panel exists (missing: %s)" % sorted(missing))

# --- metric names --------------------------------------------------------------------------------------
families = set()
for line in open(METRICS):
    m = re.match(r"^# TYPE (\S+) (\S+)", line)
    if m:
        families.add(m.group(1))
        if m.group(2) == "histogram":
            families |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
used = set()
for p in panels:
    for t in p["targets"]:
        used |= set(re.findall(r"\b((?:certgate|process)_[a-z_]+)\b", t["expr"]))
unknown = used - families
check(not unknown, "all %d metric names in the queries are exported by certgate (unknown: %s)"
      % (len(used), sorted(unknown)))
not_shown = {f for f in families if f.startswith("certgate_") and not f.endswith(("_sum", "_count"))
             and not any(f == u or f + "_bucket" == u for u in used)} - {"certgate_build_info"}
print("# certgate families not on the dashboard: %s" % (sorted(not_shown) or "none"))


# --- the queries ---------------------------------------------------------------------------------------
def api(path, **params):
    url = PROM + path + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def values(answer):
    """Every sample value of an answer, as floats (NaN dropped)."""
    out = []
    for s in answer.get("data", {}).get("result", []):
        for v in s.get("values", [s.get("value")] if "value" in s else []):
            f = float(v[1])
            if f == f:
                out.append(f)
    return out


now = time.time()
results = {}
for p in panels:
    got_any = False
    for t in p["targets"]:
        expr = t["expr"]
        for k in sorted(VARS, key=len, reverse=True):
            expr = expr.replace(k, VARS[k])
        if not check("$" not in expr, "panel %r %s: every variable substituted: %s" % (p["title"], t["refId"], expr)):
            continue
        if t.get("instant"):
            a = api("/api/v1/query", query=expr, time="%.3f" % now)
        else:
            a = api("/api/v1/query_range", query=expr, start=START, end="%.3f" % now, step="1")
        check(a.get("status") == "success" and not a.get("warnings"),
              "panel %r %s evaluates: %s%s" % (p["title"], t["refId"], expr,
                                                "" if a.get("status") == "success" and not a.get("warnings")
                                                else " -> %s %s" % (a.get("error"), a.get("warnings"))))
        vals = values(a)
        results[(p["title"], t["refId"])] = vals
        got_any |= bool(vals)
        if p["title"] in CORE:
            check(bool(vals), "core panel %r %s returns data (%d samples)" % (p["title"], t["refId"], len(vals)))
    check(got_any, "panel %r returns data" % p["title"])


def val(title, ref="A"):
    return results.get((title, ref)) or [float("nan")]


# What the traffic made: the expiry is the test certificates' (days, positive), handshakes succeeded and
# failed, bytes flowed, one client-CA generation, the SIGHUP reloads.
check(0 < min(val("Days until each certificate expires")) < 3700, "certificate expiry in days: %s" % val("Days until each certificate expires")[:6])
check(max(val("Handshake rate by result")) > 0, "a non-zero handshake rate")
check(max(val("Handshake failures by reason")) > 0, "a non-zero handshake failure rate")
check(max(val("Certificate reloads by trigger and result")) > 0, "certificate reloads (the SIGHUPs) counted")
check(max(val("Bytes forwarded")) > 0, "a non-zero byte rate")
check(max(val("Connections accepted and closed by reason", "B")) > 0, "connections closed, by reason, at a non-zero rate")
check(set(val("Client-CA generations")) == {1.0}, "one client-CA generation: %s" % sorted(set(val("Client-CA generations"))))
check(val("Last certificate reload") and min(val("Last certificate reload")) == 1.0, "the last certificate reload was successful")
last = max(val("Last successful reload")) / 1000
check(now - 300 < last <= now + 1, "last successful reload %.0f s ago" % (now - last))
print("# %d panels, %d queries, %d findings" % (len(panels), len(results), bad))
sys.exit(1 if bad else 0)
