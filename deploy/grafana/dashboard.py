#!/usr/bin/env python3
"""Writes deploy/grafana/certgate.json, the Grafana dashboard for certgate (Grafana JSON model).

The JSON is generated: edit the panel list here, then run `python3 deploy/grafana/dashboard.py`.
`--check` exits 1 when certgate.json differs from what this script writes (Tests/deploy/test_grafana.sh
runs it, then evaluates every query against a real Prometheus scraping a real certgate).

Every query uses only metric families certgate exports (docs/configuration.md, "Metrics" and
"Reloading certificates") and selects them with $sel: the job and instance variables.
"""

import json
import os
import sys

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
SEL = 'job=~"$job", instance=~"$instance"'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certgate.json")


def q(expr, legend="", instant=False):
    """One query; {sel} in expr becomes the job/instance selector."""
    return {"expr": expr.replace("{sel}", SEL), "legend": legend, "instant": instant}


def timeseries(title, desc, targets, unit="short", stack=False, w=12, h=8):
    return {
        "type": "timeseries", "title": title, "description": desc, "targets": targets, "w": w, "h": h,
        "fieldConfig": {"defaults": {
            "unit": unit, "min": 0,
            "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                       "stacking": {"mode": "normal" if stack else "none", "group": "A"}}},
            "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                               "calcs": ["lastNotNull", "max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }


def stat(title, desc, targets, unit="short", steps=None, w=4, h=4, decimals=None, texts=None):
    defaults = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps or [{"color": "green", "value": None}]}}
    if texts:
        defaults["mappings"] = [{"type": "value", "options": {v: {"text": t} for v, t in texts.items()}}]
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat", "title": title, "description": desc, "targets": targets, "w": w, "h": h,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "none", "textMode": "auto", "justifyMode": "auto",
                    "orientation": "auto"},
    }


def bargauge(title, desc, targets, unit, steps, w=12, h=8):
    return {
        "type": "bargauge", "title": title, "description": desc, "targets": targets, "w": w, "h": h,
        "fieldConfig": {"defaults": {"unit": unit, "decimals": 1, "min": 0,
                                     "thresholds": {"mode": "absolute", "steps": steps}}, "overrides": []},
        "options": {"displayMode": "basic", "orientation": "horizontal", "showUnfilled": True,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
    }


# The expiry alerts' thresholds (config/prometheus/alerts.yaml): critical under 3 days, warning under 14.
EXPIRY_STEPS = [{"color": "red", "value": None}, {"color": "orange", "value": 3}, {"color": "green", "value": 14}]
BAD_IF_NONZERO = [{"color": "green", "value": None}, {"color": "red", "value": 1}]
RATE = "[$__rate_interval]"

ROWS = [
    ("Overview", [
        stat("Certificates served", "certgate_certificates_loaded, summed over the selected instances.",
             [q("sum(certgate_certificates_loaded{{sel}})")]),
        stat("Soonest certificate expiry", "Days until the first served certificate expires.",
             [q("min((certgate_cert_not_after_timestamp_seconds{{sel}} - time()) / 86400)")],
             unit="d", steps=EXPIRY_STEPS, decimals=1),
        stat("Last certificate reload", "Whether the last certificate reload of every instance had no failure "
             "(certgate_cert_last_reload_successful).",
             [q("min(certgate_cert_last_reload_successful{{sel}})")],
             steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}], texts={"0": "failed", "1": "ok"}),
        stat("Active connections", "Client connections open now.", [q("sum(certgate_connections_active{{sel}})")]),
        stat("Connection limit used", "Open connections over --max-connections (certgate_connections_limit).",
             [q("sum(certgate_connections_active{{sel}}) / sum(certgate_connections_limit{{sel}})")],
             unit="percentunit",
             steps=[{"color": "green", "value": None}, {"color": "orange", "value": 0.8}, {"color": "red", "value": 0.95}]),
        stat("Sources failing", "Certificate sources whose last load failed (certgate_cert_sources_failing).",
             [q("sum(certgate_cert_sources_failing{{sel}})")], steps=BAD_IF_NONZERO),
    ]),
    ("Certificates and reloads", [
        bargauge("Days until each certificate expires", "certgate_cert_not_after_timestamp_seconds: follows "
                 "rotations; a certificate that is no longer served disappears.",
                 [q("(certgate_cert_not_after_timestamp_seconds{{sel}} - time()) / 86400", "{{instance}} {{cert}}", True)],
                 "d", EXPIRY_STEPS),
        timeseries("Certificate reloads by trigger and result", "certgate_cert_reloads_total: success (something "
                   "changed), unchanged, failure (what loaded was applied), by trigger.",
                   [q(f"sum by (trigger, result) (increase(certgate_cert_reloads_total{{{{sel}}}}{RATE}))",
                      "{{trigger}} {{result}}")], stack=True),
        stat("Last successful reload", "When the last certificate reload without a failure finished, per instance "
             "(certgate_cert_last_reload_success_timestamp_seconds).",
             [q("max by (instance) (certgate_cert_last_reload_success_timestamp_seconds{{sel}}) * 1000",
                "{{instance}}")], unit="dateTimeFromNow", w=8, h=8),
        timeseries("Configuration reloads by result", "certgate_config_reloads_total (SIGHUP, POST /reload) and "
                   "settings changed in the file that wait for a restart.",
                   [q(f"sum by (result) (increase(certgate_config_reloads_total{{{{sel}}}}{RATE}))", "{{result}}"),
                    q("sum(certgate_config_restart_pending_settings{{sel}})", "restart pending"),
                    q("min(certgate_config_last_reload_successful{{sel}})", "last reload successful")], w=8),
        timeseries("Certificate watcher", "Sources failing and whether inotify watches every directory "
                   "(0: the stat() check alone).",
                   [q("sum by (instance) (certgate_cert_sources_failing{{sel}})", "{{instance}} failing"),
                    q("min by (instance) (certgate_cert_watcher_inotify_active{{sel}})", "{{instance}} inotify")], w=8),
        timeseries("Certificate reload duration", "certgate_cert_reload_duration_seconds (start-up included).",
                   [q(f"histogram_quantile(0.99, sum by (le) (rate(certgate_cert_reload_duration_seconds_bucket"
                      f"{{{{sel}}}}{RATE})))", "p99"),
                    q(f"sum(rate(certgate_cert_reload_duration_seconds_sum{{{{sel}}}}{RATE})) / "
                      f"sum(rate(certgate_cert_reload_duration_seconds_count{{{{sel}}}}{RATE}))", "mean")],
                   unit="s", w=8),
    ]),
    ("TLS handshakes", [
        timeseries("Handshake rate by result", "certgate_tls_handshakes_total per second.",
                   [q(f"sum by (result) (rate(certgate_tls_handshakes_total{{{{sel}}}}{RATE}))", "{{result}}")],
                   unit="ops", stack=True),
        timeseries("Handshake failures by reason", "Failed handshakes per second by reason; peer_closed is "
                   "mostly scanners and TCP health checks.",
                   [q(f'sum by (reason) (rate(certgate_tls_handshakes_total{{{{sel}}, result="failure"}}{RATE})) > 0',
                      "{{reason}}")], unit="ops", stack=True),
        timeseries("Handshake duration", "Accept to completed handshake "
                   "(certgate_tls_handshake_duration_seconds).",
                   [q(f"histogram_quantile({p}, sum by (le) (rate(certgate_tls_handshake_duration_seconds_bucket"
                      f"{{{{sel}}}}{RATE})))", f"p{int(p * 100)}") for p in (0.5, 0.99)], unit="s"),
        timeseries("TLS versions", "Completed handshakes per second by protocol version.",
                   [q(f"sum by (version) (rate(certgate_tls_connections_total{{{{sel}}}}{RATE}))", "{{version}}")],
                   unit="ops", stack=True),
    ]),
    ("Connections", [
        timeseries("Active connections and limit", "certgate_connections_active against certgate_connections_limit "
                   "(--max-connections).",
                   [q("sum by (instance) (certgate_connections_active{{sel}})", "{{instance}} active"),
                    q("sum by (instance) (certgate_connections_limit{{sel}})", "{{instance}} limit")]),
        timeseries("Connections accepted and closed by reason", "certgate_connections_total and "
                   "certgate_connections_closed_total{reason} per second.",
                   [q(f"sum(rate(certgate_connections_total{{{{sel}}}}{RATE}))", "accepted"),
                    q(f"sum by (reason) (rate(certgate_connections_closed_total{{{{sel}}}}{RATE}))", "closed {{reason}}")],
                   unit="ops"),
        timeseries("Bytes forwarded", "Plaintext bytes per second (certgate_bytes_total).",
                   [q(f"sum by (direction) (rate(certgate_bytes_total{{{{sel}}}}{RATE}))", "{{direction}}")],
                   unit="Bps"),
        timeseries("Limit reached, accept pauses, sheds", "certgate_connections_limit_reached_total, "
                   "certgate_accept_paused_total{reason} and certgate_connections_shed_total: all 0 in normal "
                   "operation.",
                   [q(f"sum(increase(certgate_connections_limit_reached_total{{{{sel}}}}{RATE}))", "limit reached"),
                    q(f"sum by (reason) (increase(certgate_accept_paused_total{{{{sel}}}}{RATE}))", "accept paused {{reason}}"),
                    q(f"sum(increase(certgate_connections_shed_total{{{{sel}}}}{RATE}))", "shed")]),
    ]),
    ("Upstream", [
        timeseries("Upstream connect failures by reason", "certgate_upstream_connect_failures_total per second.",
                   [q(f"sum by (reason) (rate(certgate_upstream_connect_failures_total{{{{sel}}}}{RATE}))", "{{reason}}")],
                   unit="ops", stack=True, w=8),
        timeseries("Upstream connect time", "certgate_upstream_connect_duration_seconds.",
                   [q(f"histogram_quantile({p}, sum by (le) (rate(certgate_upstream_connect_duration_seconds_bucket"
                      f"{{{{sel}}}}{RATE})))", f"p{int(p * 100)}") for p in (0.5, 0.99)], unit="s", w=8),
        timeseries("HTTP (--forward-headers)", "Requests forwarded, refused by the parser, and the responses "
                   "certgate wrote itself, per second.",
                   [q(f"sum(rate(certgate_http_requests_total{{{{sel}}}}{RATE}))", "forwarded"),
                    q(f"sum by (reason) (rate(certgate_http_requests_rejected_total{{{{sel}}}}{RATE})) > 0",
                      "rejected {{reason}}"),
                    q(f"sum by (status) (rate(certgate_http_error_responses_total{{{{sel}}}}{RATE})) > 0",
                      "answered {{status}}")], unit="reqps", w=8),
    ]),
    ("Client certificates", [
        timeseries("Client-CA generations", "certgate_client_ca_generations: CA bundles in force per --client-ca "
                   "file (a rotation keeps the old CAs next to the new ones), distinct CAs trusted, and the CRLs: lists, "
                   "revoked entries, CAs without a CRL.",
                   [q("certgate_client_ca_generations{{sel}}", "{{instance}} {{ca_file}} generations"),
                    q("certgate_client_ca_certificates{{sel}}", "{{instance}} {{ca_file}} CAs"),
                    q("certgate_client_crl_lists{{sel}}", "{{instance}} CRLs"),
                    q("certgate_client_crl_revoked_certificates{{sel}}", "{{instance}} revoked"),
                    q("certgate_client_crl_uncovered_cas{{sel}}", "{{instance}} CAs without a CRL")], w=8),
        timeseries("Client-CA and CRL reloads", "certgate_client_ca_reloads_total and "
                   "certgate_client_crl_reloads_total by result; evictions of old CA generations.",
                   [q(f"sum by (result) (increase(certgate_client_ca_reloads_total{{{{sel}}}}{RATE}))", "CA {{result}}"),
                    q(f"sum by (result) (increase(certgate_client_crl_reloads_total{{{{sel}}}}{RATE}))", "CRL {{result}}"),
                    q(f"sum(increase(certgate_client_ca_evictions_total{{{{sel}}}}{RATE}))", "CA evictions")], w=8),
        bargauge("Days until each client CA expires, and each CRL's next update",
                 "certgate_client_ca_not_after_timestamp_seconds and "
                 "certgate_client_crl_next_update_timestamp_seconds.",
                 [q("(min by (instance, ca_file, fingerprint) (certgate_client_ca_not_after_timestamp_seconds{{sel}})"
                    " - time()) / 86400", "CA {{ca_file}} {{fingerprint}}", True),
                  q("(min by (instance, ca_file, issuer_fingerprint) (certgate_client_crl_next_update_timestamp_seconds"
                    "{{sel}}) - time()) / 86400", "CRL {{ca_file}} {{issuer_fingerprint}}", True)],
                 "d", EXPIRY_STEPS, w=8),
    ]),
    ("Process", [
        timeseries("CPU", "process_cpu_seconds_total per second (1 = one core).",
                   [q(f"rate(process_cpu_seconds_total{{{{sel}}}}{RATE})", "{{instance}}")], w=8),
        timeseries("Resident memory", "process_resident_memory_bytes.",
                   [q("process_resident_memory_bytes{{sel}}", "{{instance}}")], unit="bytes", w=8),
        timeseries("File descriptors", "process_open_fds against process_max_fds (LimitNOFILE, ulimit -Hn).",
                   [q("process_open_fds{{sel}}", "{{instance}} open"),
                    q("process_max_fds{{sel}}", "{{instance}} max")], w=8),
    ]),
]


def variable(name, label, query, all_value=None):
    v = {"name": name, "label": label, "type": "query", "datasource": DS,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "definition": query, "refresh": 2, "sort": 1, "hide": 0, "regex": "", "options": [], "current": {},
         "includeAll": all_value is not None, "multi": all_value is not None}
    if all_value is not None:
        v["allValue"] = all_value
        v["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return v


def dashboard():
    panels, next_id, y = [], 1, 0
    for title, row in ROWS:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False, "panels": [],
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        next_id, y, x, line_h = next_id + 1, y + 1, 0, 0
        for p in row:
            w, h = p.pop("w"), p.pop("h")
            if x + w > 24:
                x, y, line_h = 0, y + line_h, 0
            targets = [{"datasource": DS, "refId": chr(ord("A") + i), "expr": t["expr"], "legendFormat": t["legend"],
                        "instant": t["instant"], "range": not t["instant"]} for i, t in enumerate(p.pop("targets"))]
            panels.append({"id": next_id, **p, "datasource": DS, "gridPos": {"h": h, "w": w, "x": x, "y": y},
                           "targets": targets})
            next_id, x, line_h = next_id + 1, x + w, max(line_h, h)
        y += line_h
    return {
        "title": "certgate", "uid": "certgate", "description": "certgate TLS reverse proxy: certificates and "
        "reloads, TLS handshakes, connections, upstream, client certificates. Generated by "
        "deploy/grafana/dashboard.py.",
        "tags": ["certgate", "tls"], "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1,
        "refresh": "30s", "time": {"from": "now-6h", "to": "now"}, "timezone": "", "fiscalYearStartMonth": 0,
        "liveNow": False, "links": [],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": [
            {"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": [], "includeAll": False, "multi": False},
            variable("job", "Job", "label_values(certgate_build_info, job)"),
            variable("instance", "Instance", 'label_values(certgate_build_info{job=~"$job"}, instance)', ".+"),
        ]},
        "panels": panels,
    }


def main():
    text = json.dumps(dashboard(), indent=2) + "\n"
    if sys.argv[1:] == ["--check"]:
        with open(OUT) as f:
            if f.read() != text:
                print(f"{OUT} is out of date: run python3 {sys.argv[0]}")
                sys.exit(1)
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
