"""The table and the rules of scripts/soak. report(...) prints both and returns True when a rule broke."""
import re

import load

KINDS = [("keepalive", "keep-alive requests"), ("keepalive-connect", "keep-alive handshakes"),
         ("newconn", "new-connection requests"), ("metrics", "/metrics scrapes")]


def allowed(run, t0, t1):
    """True when [t0, t1] overlaps a window in which the upstream was down (widened by SLACK)."""
    from soak import SLACK

    return any(t0 <= up + SLACK and t1 >= down - SLACK for down, up in run.upstream.windows)


def by_label(metrics, name, label):
    out = {}
    for key, value in metrics.items():
        base, _, rest = key.partition("{")
        m = re.search(r'%s="([^"]*)"' % label, rest)
        if base == name and m and value:
            out[m.group(1)] = out.get(m.group(1), 0) + value
    return out


def mib(n):
    return "-" if n is None else "%.1f MiB" % (n / 1048576)


def report(run, args, warmup, total, base, start, end):
    from soak import ALLOWED_WHILE_DOWN, KEEPALIVE_CLIENTS, NEWCONN_CLIENTS, SLOWLORIS

    led = run.ledger
    down_errors, up_errors = {}, {}
    for kind, outcome, t0, t1, detail in led.errors:
        ok_while_down = kind in ("keepalive", "newconn") and outcome in ALLOWED_WHILE_DOWN and allowed(run, t0, t1)
        bucket = down_errors if ok_while_down else up_errors
        bucket.setdefault((kind, outcome), []).append(detail)
    metrics = end["metrics"]
    p = print
    p()
    p("certgate soak: %g min on loopback (warm-up %.0f s, then %.0f s measured); binary %s (%s)"
      % (args.minutes, warmup, total - warmup, args.bin, args.build_kind))
    p("load: %d keep-alive clients, %d new-connection clients (mutual TLS), %d slowloris sockets, /metrics every 1 s"
      % (KEEPALIVE_CLIENTS, NEWCONN_CLIENTS, SLOWLORIS))
    p("events: %d secret rotations (..data swap every 2 s), %d client-CA rotations (every 10 s), "
      "%d upstream kills (every 20 s, down ~1 s)" % (run.secret.rotations - 1, run.ca_rotations, run.upstream.kills))
    p()
    p("%-26s %10s %10s %12s %12s" % ("requests", "ok", "errors", "upstream down", "upstream up"))
    for kind, label in KINDS:
        ok = led.counts.get((kind, "ok"), 0)
        down = sum(len(v) for (k, _), v in down_errors.items() if k == kind)
        up = sum(len(v) for (k, _), v in up_errors.items() if k == kind)
        p("%-26s %10d %10d %12d %12d" % (label, ok, down + up, down, up))
    p()
    p("%-40s %12s %12s" % ("errors by kind", "upstream down", "upstream up"))
    keys = sorted(set(down_errors) | set(up_errors))
    for key in keys:
        p("%-40s %12d %12d" % ("%s %s" % key, len(down_errors.get(key, [])), len(up_errors.get(key, []))))
    if not keys:
        p("  (none)")
    for key, details in sorted(up_errors.items()):
        p("  upstream up, %s %s, e.g. %s" % (key[0], key[1], details[0][:160]))
    p()
    fails = by_label(metrics, "certgate_tls_handshakes_total", "reason")
    p("handshakes failed (certgate_tls_handshakes_total{result=\"failure\"}, whole run): %d  %s"
      % (sum(fails.values()), " ".join("%s=%d" % kv for kv in sorted(fails.items()))))
    p("handshakes succeeded: %d" % load.metric_sum(metrics, "certgate_tls_handshakes_total", result="success"))
    connect = by_label(metrics, "certgate_upstream_connect_failures_total", "reason")
    counted_502 = load.metric_sum(metrics, "certgate_http_error_responses_total", status="502")
    seen_502 = sum(v for (k, o), v in led.counts.items() if o == "http_502")
    p("upstream connect failures (certgate): %d  %s; 502 answers counted by certgate: %d, seen by clients: %d"
      % (sum(connect.values()), " ".join("%s=%d" % kv for kv in sorted(connect.items())), counted_502, seen_502))
    opened = sum(s.opened for s in run.slowloris)
    closed = sum(s.closed_by_server for s in run.slowloris)
    p("slowloris: %d sockets opened, %d closed by certgate; %d distinct server certificates seen by clients; "
      "client-CA reloads: %d" % (opened, closed, len(led.serials),
                                 load.metric_sum(metrics, "certgate_client_ca_reloads_total", result="success")))
    for note in run.ca_notes:
        p("  " + note)
    p()
    p("%-10s %14s %14s %14s" % ("", "before load", "after warm-up", "end"))
    p("%-10s %14s %14s %14s" % ("fds", base["fds"], start["fds"], end["fds"]))
    p("%-10s %14s %14s %14s" % ("RSS", mib(base["rss"]), mib(start["rss"]), mib(end["rss"])))
    p("crashes: %d%s" % (0 if run.crash is None else 1, "" if run.crash is None else " (%s)" % run.crash))
    p()
    rules = []
    if start["fds"] is not None and end["fds"] is not None:
        rules.append((end["fds"] <= start["fds"] + 2, "fds at the end at most 2 above the start (%d -> %d)"
                      % (start["fds"], end["fds"])))
        growth = 100.0 * (end["rss"] - start["rss"]) / start["rss"]
        rules.append((growth <= 5.0, "RSS grows at most 5%% after warm-up (%s -> %s, %+.1f%%)"
                      % (mib(start["rss"]), mib(end["rss"]), growth)))
    else:
        rules.append((False, "fds and RSS sampled (certgate was gone)"))
    rules.append((run.crash is None, "nothing crashed"))
    nup = sum(len(v) for v in up_errors.values())
    rules.append((nup == 0, "no error while the upstream is up (%d)" % nup))
    rules.append((seen_502 <= counted_502, "every 502 a client saw is counted by certgate (%d <= %d)"
                  % (seen_502, counted_502)))
    # A request cut off by the upstream's death gets no answer: certgate counts the connection it closed
    # in certgate_connections_closed_total, as upstream_close (the upstream's FIN) or error (its reset).
    unanswered = sum(v for (k, o), v in led.counts.items() if o not in ("ok", "http_502"))
    counted_closed = sum(load.metric_sum(metrics, "certgate_connections_closed_total", reason=r)
                         for r in ("upstream_close", "error"))
    rules.append((unanswered <= counted_closed, "every connection closed without an answer is counted by certgate "
                  "as upstream_close or error (%d <= %d)" % (unanswered, counted_closed)))
    every = all(led.counts.get((k, "ok"), 0) > 0 for k, _ in KINDS)
    rules.append((every, "every kind of request succeeded at least once"))
    rules.append((len(led.serials) >= 2 and not run.ca_notes,
                  "the rotations took effect (server certificates seen: %d; client CAs not loaded: %d)"
                  % (len(led.serials), len(run.ca_notes))))
    failed = False
    for ok, text in rules:
        p("%s  %s" % ("PASS" if ok else "FAIL", text))
        failed = failed or not ok
    p("soak: %s" % ("FAILED" if failed else "passed"))
    return failed
