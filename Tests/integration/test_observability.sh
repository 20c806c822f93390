#!/usr/bin/env bash
# Observability: every metric family with its exact label sets, `promtool check metrics` on the live
# output, counters that move by exactly what the traffic did (handshake results and reasons, TLS versions,
# handshake histogram, upstream connect failures, plaintext bytes), JSON logs, --expiry-warning, and a
# real Prometheus server scraping the admin listener with a bearer token.
# case-timeout: 90
source "$(dirname "$0")/lib.sh"

REASONS="timeout peer_closed not_tls no_shared_protocol no_shared_cipher peer_alert client_cert_missing client_cert_untrusted client_cert_expired client_cert_revoked client_crl_unavailable client_cert_denied unrecognized_name protocol_error internal"

# o_start [certgate args] : admin listener + std_start; waits until the start-up probe connection (a TCP
# connect without a ClientHello, counted as peer_closed) is closed and counted, so baselines are stable.
o_start() {
  admin_init
  std_start "$@"
  wait_for 5 metric_is certgate_connections_active "" 0 || fail "certgate_connections_active did not settle at 0 after start-up: $(metric certgate_connections_active)"
  wait_for 5 metric_is certgate_connections_total "" 1 || fail "certgate_connections_total after the start-up probe: expected 1, got $(metric certgate_connections_total)"
  wait_for 5 metric_is certgate_tls_handshakes_total 'reason="peer_closed"' 1 \
    || fail "the start-up probe (connect + close) was not counted as peer_closed: $(snap certgate_tls_handshakes_total | tr '\n' ' ')"
}

# tls13_get N : N GET /hello through the proxy, each a new TLS 1.3 connection.
tls13_get() {
  local i out
  for i in $(seq 1 "$1"); do
    out=$(https alpha.test /hello --tlsv1.3 2>&1) || fail "TLS 1.3 request $i: $out"
    [ "$out" = "hello from upstream" ] || fail "TLS 1.3 request $i answered [$out]"
  done
  note "ok: $1 TLS 1.3 requests answered"
}

# hs_snap TAG : snapshot of the handshake, version and connection counters into $CG_TMP/TAG.*
hs_snap() {
  snap certgate_tls_handshakes_total > "$CG_TMP/$1.hs"
  snap certgate_tls_connections_total > "$CG_TMP/$1.ver"
  snap certgate_tls_handshake_duration_seconds_count > "$CG_TMP/$1.hcount"
  snap certgate_connections_total > "$CG_TMP/$1.conns"
  snap certgate_upstream_connect_failures_total > "$CG_TMP/$1.upf"
}

# one_failure REASON TAG : since hs_snap TAG, exactly one handshake failed, for REASON, and nothing else
# moved (no success, no TLS version, no histogram observation); one connection accepted.
one_failure() {
  assert_moved certgate_tls_handshakes_total "$CG_TMP/$2.hs" "reason=\"$1\"@1"
  assert_moved certgate_tls_connections_total "$CG_TMP/$2.ver"
  assert_moved certgate_tls_handshake_duration_seconds_count "$CG_TMP/$2.hcount"
  assert_moved certgate_connections_total "$CG_TMP/$2.conns" "certgate_connections_total@1"
  assert_moved certgate_upstream_connect_failures_total "$CG_TMP/$2.upf"
}

# ---------------------------------------------------------------------------------------------------

case_every_metric_present_with_exact_labels() {
  o_start
  tls13_get 1
  admin_get /metrics > "$CG_TMP/metrics.txt" || fail "GET /metrics"
  "$PY" - "$CG_TMP/metrics.txt" "$(date +%s)" $REASONS > "$CG_TMP/check.out" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
now = float(sys.argv[2])
reasons = sys.argv[3:]
types, samples = {}, {}
lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        types[name] = typ
        continue
    if not line or line.startswith("#"):
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
    if not m:
        print("BAD unparsable line: %r" % line)
        continue
    labels = frozenset(lab.findall(m.group(3) or ""))
    samples.setdefault(m.group(1), {})[labels] = float(m.group(4))

def check(ok, what):
    print(("ok " if ok else "BAD ") + what)

def family(name, typ, label_sets=None, label_keys=None):
    check(types.get(name) == typ, "%s: # TYPE %s (got %s)" % (name, typ, types.get(name)))
    got = samples.get(name, {})
    if label_sets is not None:
        want = {frozenset(s.items()) for s in label_sets}
        have = set(got)
        fmt = lambda s: "{" + ",".join('%s="%s"' % kv for kv in sorted(s)) + "}"
        check(want == have, "%s: exactly %d series %s (missing %s, unexpected %s)" % (
            name, len(want), " ".join(sorted(fmt(s) for s in want)),
            sorted(fmt(s) for s in want - have) or "none", sorted(fmt(s) for s in have - want) or "none"))
    elif label_keys is not None:
        check(len(got) == 1 and all({k for k, _ in s} == set(label_keys) for s in got),
              "%s: one series with labels %s (got %s)" % (name, sorted(label_keys), [sorted(s) for s in got]))
    else:
        check(list(got) == [frozenset()], "%s: one unlabelled series (got %d series)" % (name, len(got)))
    return got

def histogram(name):
    check(types.get(name) == "histogram", "%s: # TYPE histogram (got %s)" % (name, types.get(name)))
    b = samples.get(name + "_bucket", {})
    inf = b.get(frozenset({("le", "+Inf")}))
    count = samples.get(name + "_count", {}).get(frozenset())
    s = samples.get(name + "_sum", {}).get(frozenset())
    check(inf is not None and count is not None and s is not None and inf == count and len(b) >= 2,
          "%s: _bucket (%d buckets, +Inf=%s) _sum (%s) _count (%s), +Inf == count" % (name, len(b), inf, s, count))
    return count

v = family("certgate_build_info", "gauge", label_keys=["version", "openssl"])
if v:
    labels = dict(next(iter(v)))
    check(labels.get("version", "") != "" and labels.get("openssl", "").startswith("OpenSSL ") and list(v.values()) == [1.0],
          "certgate_build_info: version=%r openssl=%r value %s" % (labels.get("version"), labels.get("openssl"), list(v.values())))
family("certgate_connections_active", "gauge")
family("certgate_connections_total", "counter")
family("certgate_tls_handshakes_total", "counter",
       [{"result": "success"}] + [{"result": "failure", "reason": r} for r in reasons])
histogram("certgate_tls_handshake_duration_seconds")
family("certgate_tls_connections_total", "counter", [{"version": "TLSv1.2"}, {"version": "TLSv1.3"}])
family("certgate_bytes_total", "counter", [{"direction": "client_to_upstream"}, {"direction": "upstream_to_client"}])
family("certgate_upstream_connect_failures_total", "counter",
       [{"reason": r} for r in ("refused", "timeout", "unreachable", "no_descriptors", "other")])
histogram("certgate_upstream_connect_duration_seconds")
family("certgate_connections_shed_total", "counter")
family("certgate_access_log_dropped_lines_total", "counter")
family("certgate_connections_limit", "gauge")
family("certgate_connections_limit_reached_total", "counter")
family("certgate_accept_paused_total", "counter", [{"reason": r} for r in ("no_descriptors", "no_memory", "other")])
family("certgate_cert_reloads_total", "counter",
       [{"trigger": t, "result": r} for t in ("startup", "inotify", "stat", "signal", "timer", "admin")
        for r in ("success", "unchanged", "failure")])
family("certgate_cert_last_reload_successful", "gauge")
family("certgate_cert_last_reload_success_timestamp_seconds", "gauge")
histogram("certgate_cert_reload_duration_seconds")
family("certgate_cert_not_after_timestamp_seconds", "gauge",
       [{"cert": c} for c in ("alpha", "cnonly", "exact", "wild", "zulu")])
family("certgate_certificates_loaded", "gauge")
family("certgate_cert_watcher_inotify_active", "gauge")
family("certgate_cert_sources_failing", "gauge")
rss = family("process_resident_memory_bytes", "gauge")
fds = family("process_open_fds", "gauge")
mx = family("process_max_fds", "gauge")
family("process_cpu_seconds_total", "counter")
st = family("process_start_time_seconds", "gauge")
one = lambda d: next(iter(d.values()), None)
check((one(rss) or 0) > 1e6, "process_resident_memory_bytes is plausible (%s)" % one(rss))
check(0 < (one(fds) or 0) < (one(mx) or 0), "0 < process_open_fds (%s) < process_max_fds (%s)" % (one(fds), one(mx)))
check(abs((one(st) or 0) - now) < 120, "process_start_time_seconds (%s) is within 2 minutes of now (%d)" % (one(st), now))
EOF
  local bad line
  while IFS= read -r line; do
    case "$line" in
      "ok "*) note "ok: ${line#ok }" ;;
      *) echo "$line"; bad=1 ;;
    esac
  done < "$CG_TMP/check.out"
  [ -s "$CG_TMP/check.out" ] || fail "the metric check printed nothing"
  [ -z "${bad:-}" ] || fail "metrics missing or with wrong labels (lines BAD above)"
  # The values that follow from the set-up.
  assert_eq 5 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  assert_eq 1 "$(metric certgate_cert_last_reload_successful)" "certgate_cert_last_reload_successful"
  assert_eq 0 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing"
  assert_eq 1 "$(metric certgate_cert_reloads_total 'trigger="startup",result="success"')" "start-up reload counted"
  local c want
  for c in alpha cnonly exact wild zulu; do
    want=$(cert_not_after_epoch "$CG_PKI/$c.crt")
    assert_eq "$want" "$(metric certgate_cert_not_after_timestamp_seconds "cert=\"$c\"")" "certgate_cert_not_after_timestamp_seconds{cert=\"$c\"} (notAfter of $c.crt)"
  done
}

case_promtool_check_metrics() {
  command -v promtool >/dev/null 2>&1 \
    || skip "promtool not found: it is in the Debian package 'prometheus' (listed in Tests/integration/REQUIREMENTS; scripts/test installs it)"
  o_start
  # Traffic of every kind first, so that the families with values are checked too.
  tls13_get 3
  https alpha.test /hello --tlsv1.2 --tls-max 1.2 >/dev/null || fail "TLS 1.2 request"
  curl -s --max-time 5 "http://127.0.0.1:$CG_PORT/" >/dev/null 2>&1
  https alpha.test /upload -H 'Expect:' --data-binary 'some bytes' >/dev/null || fail "POST /upload"
  curl -sS --max-time 10 -X POST -o /dev/null "http://127.0.0.1:$CG_ADMIN/reload" || fail "POST /reload"
  admin_get /metrics > "$CG_TMP/metrics.txt" || fail "GET /metrics"
  local out rc=0
  out=$(promtool check metrics < "$CG_TMP/metrics.txt" 2>&1) || rc=$?
  note "promtool: $(promtool --version 2>&1 | head -n 1)"
  [ -z "$out" ] || echo "$out"
  assert_eq 0 "$rc" "exit status of promtool check metrics"
  assert_eq "" "$out" "promtool check metrics findings"
}

case_successful_handshakes_count_exactly() {
  o_start
  hs_snap a
  tls13_get 5
  assert_moved certgate_tls_handshakes_total "$CG_TMP/a.hs" 'result="success"@5'
  assert_moved certgate_tls_connections_total "$CG_TMP/a.ver" 'TLSv1.3@5'
  assert_moved certgate_tls_handshake_duration_seconds_count "$CG_TMP/a.hcount" 'count@5'
  assert_moved certgate_connections_total "$CG_TMP/a.conns" 'total@5'
  # TLS 1.2 goes to its own series.
  hs_snap b
  https alpha.test /hello --tlsv1.2 --tls-max 1.2 >/dev/null || fail "TLS 1.2 request"
  assert_moved certgate_tls_handshakes_total "$CG_TMP/b.hs" 'result="success"@1'
  assert_moved certgate_tls_connections_total "$CG_TMP/b.ver" 'TLSv1.2@1'
  assert_moved certgate_tls_handshake_duration_seconds_count "$CG_TMP/b.hcount" 'count@1'
  assert_eq 0 "$(metric certgate_connections_active)" "certgate_connections_active afterwards"
}

case_failure_not_tls() {
  o_start
  hs_snap a
  # Plain HTTP to the TLS port.
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind http --expect-close 10 || fail "the plain-HTTP connection was not closed"
  one_failure not_tls a
}

case_failure_no_shared_protocol() {
  o_start
  hs_snap a
  tls_try "$CG_TMP/t11" -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_1 -cipher 'ALL:@SECLEVEL=0' \
    && fail "a TLS 1.1-only client was accepted: $(cat "$CG_TMP/t11")"
  one_failure no_shared_protocol a
}

case_failure_peer_closed() {
  o_start
  hs_snap a
  # Connect and close at once, without a byte.
  (exec 3<>"/dev/tcp/127.0.0.1/$CG_PORT") || fail "connect to $CG_PORT"
  one_failure peer_closed a
}

case_failure_handshake_timeout() {
  o_start --handshake-timeout 1s
  hs_snap a
  local t0; t0=$(now_ms)
  exec 5<>"/dev/tcp/127.0.0.1/$CG_PORT"   # connected, says nothing
  wait_for 5 metric_is certgate_tls_handshakes_total 'reason="timeout"' \
    $(( $(awk '/reason="timeout"/ {print $NF}' "$CG_TMP/a.hs") + 1 )) || true
  local took=$(( $(now_ms) - t0 ))
  exec 5>&-
  [ "$took" -ge 900 ] || fail "the idle connection was counted as a timeout after $took ms (--handshake-timeout 1s)"
  note "ok: timeout counted after $took ms (--handshake-timeout 1s)"
  one_failure timeout a
}

case_upstream_refused() {
  admin_init
  std_certs "$CG_TMP/certs"
  local dead; dead=$(free_port)   # nothing listens there
  cg_start --upstream "127.0.0.1:$dead" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN"
  wait_for 5 metric_is certgate_connections_active "" 0 || fail "certgate_connections_active did not settle"
  hs_snap a
  snap certgate_upstream_connect_duration_seconds_count > "$CG_TMP/a.ucount"
  https alpha.test /hello >/dev/null 2>&1 && fail "a request succeeded with the upstream down"
  assert_moved certgate_upstream_connect_failures_total "$CG_TMP/a.upf" 'reason="refused"@1'
  # The handshake itself succeeded; the failed connect is no observation of the connect-time histogram.
  assert_moved certgate_tls_handshakes_total "$CG_TMP/a.hs" 'result="success"@1'
  assert_moved certgate_upstream_connect_duration_seconds_count "$CG_TMP/a.ucount"
  wait_for 5 metric_is certgate_connections_active "" 0 || fail "connection still counted active after the refused connect"
}

case_bytes_total_exact() {
  o_start
  snap certgate_bytes_total > "$CG_TMP/a.bytes"
  snap certgate_upstream_connect_duration_seconds_count > "$CG_TMP/a.ucount"
  # Two connections through the proxy: a POST of exactly 123457 bytes of body, then a 1 MiB download.
  # The client counts the plaintext bytes it sent and received (everything, headers included).
  local out
  out=$("$PY" - "$CG_PORT" "$CG_PKI/ca.crt" <<'EOF'
import hashlib, os, socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

def exchange(req):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="alpha.test")
    s.sendall(req)
    got = b""
    while True:
        try:
            d = s.recv(65536)
        except ssl.SSLEOFError:
            break
        if not d:
            break
        got += d
    s.close()
    return got

body = os.urandom(123457)
req1 = (b"POST /upload HTTP/1.1\r\nHost: alpha.test\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
resp1 = exchange(req1)
want = b"sha256=%s bytes=%d\n" % (hashlib.sha256(body).hexdigest().encode(), len(body))
if not resp1.endswith(b"\r\n\r\n" + want):
    print("upload answer wrong: %r" % resp1[-200:]); sys.exit(1)
req2 = b"GET /big?mib=1 HTTP/1.1\r\nHost: alpha.test\r\nConnection: close\r\n\r\n"
resp2 = exchange(req2)
if len(resp2.partition(b"\r\n\r\n")[2]) != 1 << 20:
    print("download short: %d bytes in all" % len(resp2)); sys.exit(1)
print(len(req1) + len(req2), len(resp1) + len(resp2))
EOF
) || fail "client through the proxy: $out"
  local sent received
  read -r sent received <<<"$out"
  note "client sent $sent plaintext bytes and received $received"
  assert_moved certgate_bytes_total "$CG_TMP/a.bytes" "client_to_upstream@$sent" "upstream_to_client@$received"
  assert_moved certgate_upstream_connect_duration_seconds_count "$CG_TMP/a.ucount" 'count@2'
}

case_json_logs_every_line() {
  o_start --log-format json --log-level debug
  tls13_get 3
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind http --expect-close 10 >/dev/null || fail "plain HTTP connection not closed"
  # A reload that changes something (inotify) and one by POST /reload.
  leaf_new alpha "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha.pem" "$CG_TMP/certs/alpha.pem"
  wait_serial 10 alpha.test "$(cert_serial "$CG_TMP/new/alpha.crt")"
  assert_eq 200 "$(admin_req POST /reload)" "POST /reload"
  admin_get /metrics >/dev/null
  cg_stop
  note "$(wc -l < "$CG_LOG") log lines"
  "$PY" - "$CG_LOG" > "$CG_TMP/json.out" <<'EOF'
import json, re, sys
bad, n, levels, msgs = 0, 0, set(), set()
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
for i, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace"), 1):
    n += 1
    try:
        o = json.loads(line)
    except ValueError as e:
        print("line %d is not JSON (%s): %s" % (i, e, line.rstrip())); bad += 1; continue
    if not isinstance(o, dict):
        print("line %d is not a JSON object: %s" % (i, line.rstrip())); bad += 1; continue
    missing = [k for k in ("ts", "level", "msg") if not isinstance(o.get(k), str) or not o.get(k)]
    if missing:
        print("line %d lacks %s: %s" % (i, missing, line.rstrip())); bad += 1; continue
    if not ts.match(o["ts"]):
        print("line %d: ts %r is not an RFC 3339 time" % (i, o["ts"])); bad += 1
    if o["level"] not in ("trace", "debug", "info", "notice", "warning", "error", "critical"):
        print("line %d: unknown level %r" % (i, o["level"])); bad += 1
    levels.add(o["level"]); msgs.add(o["msg"])
print("lines=%d bad=%d" % (n, bad))
print("levels=%s" % ",".join(sorted(levels)))
print("msgs=%s" % "|".join(sorted(msgs)))
EOF
  grep -v '^msgs=' "$CG_TMP/json.out" | head -n 20
  local summary; summary=$(grep '^lines=' "$CG_TMP/json.out")
  assert_match "$summary" 'bad=0$' "log lines that are not JSON objects with ts, level, msg"
  assert_match "$(grep '^levels=' "$CG_TMP/json.out")" 'debug' "levels seen (debug lines are there)"
  local msgs; msgs=$(grep '^msgs=' "$CG_TMP/json.out")
  local m
  for m in listening "certificate replaced" "certificate reload finished" "SIGTERM received: draining" drained; do
    assert_contains "$msgs" "$m" "JSON log messages"
  done
}

# expiry_certs DIR : certificates expiring in 10 days (soon), 20 days (mid) and 60 days (long).
expiry_certs() {
  local d=$1 start
  start=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
  leaf_dated soon "DNS:soon.test" "$start" "$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)"
  leaf_dated mid "DNS:mid.test" "$start" "$(date -u -d '+20 days' +%Y%m%d%H%M%SZ)"
  leaf_dated long "DNS:long.test" "$start" "$(date -u -d '+60 days' +%Y%m%d%H%M%SZ)"
  mkdir -p "$d"
  cp "$CG_TMP/new/soon.pem" "$CG_TMP/new/mid.pem" "$CG_TMP/new/long.pem" "$d/"
}

# expiry_start ARGS : certgate on the expiry_certs set; returns once the "listening" line is logged (the
# start-up expiry check comes before it).
expiry_start() {
  up_start http
  expiry_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --default-cert long "$@"
  wait_for 5 grep -q listening "$CG_LOG" || fail "no 'listening' log line"
}

case_expiry_warning_30d() {
  admin_init
  expiry_start --expiry-warning 30d --admin "127.0.0.1:$CG_ADMIN"
  grep 'expires soon' "$CG_LOG" | sed 's/^/# log: /'
  assert_eq 1 "$(grep 'certificate expires soon' "$CG_LOG" | grep -c 'cert=soon ')" "'certificate expires soon' lines naming cert=soon (10 days left, window 30d)"
  assert_match "$(grep 'certificate expires soon' "$CG_LOG" | grep 'cert=soon ')" 'days_left=(9|10)( |$)' "days_left of soon"
  assert_eq 1 "$(grep 'certificate expires soon' "$CG_LOG" | grep -c 'cert=mid ')" "'certificate expires soon' lines naming cert=mid (20 days left, window 30d)"
  assert_eq 0 "$(grep 'certificate expires soon' "$CG_LOG" | grep -c 'cert=long ')" "'certificate expires soon' lines naming cert=long (60 days left)"
  assert_eq 2 "$(grep -c 'certificate expires soon' "$CG_LOG")" "'certificate expires soon' lines at start-up"
  # A certificate a reload brings in is checked too.
  leaf_dated late "DNS:late.test" "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+25 days' +%Y%m%d%H%M%SZ)"
  cp "$CG_TMP/new/late.pem" "$CG_TMP/certs/"
  assert_eq 200 "$(admin_req POST /reload)" "POST /reload bringing in late.pem (25 days left)"
  wait_for 5 grep -q 'certificate expires soon.*cert=late ' "$CG_LOG" \
    || fail "no 'certificate expires soon' line for cert=late (25 days left, window 30d) after the reload"
  assert_eq 1 "$(grep 'certificate expires soon' "$CG_LOG" | grep -c 'cert=late ')" "'certificate expires soon' lines naming cert=late"
}

case_expiry_warning_default_14d() {
  expiry_start
  assert_eq 1 "$(grep 'certificate expires soon' "$CG_LOG" | grep -c 'cert=soon ')" "'certificate expires soon' lines naming cert=soon (10 days left, default window 14d)"
  assert_eq 1 "$(grep -c 'certificate expires soon' "$CG_LOG")" "'certificate expires soon' lines at start-up (default 14d)"
}

case_expiry_warning_off() {
  expiry_start --expiry-warning 0
  grep 'expires soon' "$CG_LOG" | sed 's/^/# log: /'
  assert_eq 0 "$(grep -c 'certificate expires soon' "$CG_LOG")" "'certificate expires soon' lines with --expiry-warning 0"
}

# ---------------------------------------------------------------------------------------------------
# A real Prometheus server scraping the admin listener with the bearer token.

prom_query() {   # prom_query PROMPORT QUERY : the JSON answer of the instant query API
  curl -sS --max-time 5 -G "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2"
}

# _prom_has PROMPORT WANT_FILE : the expiry series Prometheus returns are exactly those of WANT_FILE
# ("CERT EPOCH" lines).
_prom_has() {
  prom_query "$1" certgate_cert_not_after_timestamp_seconds > "$CG_TMP/prom.json" 2>/dev/null || return 1
  "$PY" - "$CG_TMP/prom.json" "$2" <<'EOF' > "$CG_TMP/prom.got"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted("%s %s %s" % (s["metric"].get("cert"), s["value"][1], s["metric"].get("job")) for s in r["data"]["result"])
print("\n".join(got))
EOF
  [ "$(cat "$CG_TMP/prom.got")" = "$(cat "$2")" ]
}

case_prometheus_scrapes_with_token() {
  command -v prometheus >/dev/null 2>&1 \
    || skip "prometheus not found: it is in the Debian package 'prometheus' (listed in Tests/integration/REQUIREMENTS; scripts/test installs it)"
  openssl rand -hex 32 > "$CG_TMP/admin.token"
  # shellcheck disable=SC2034  # read by lib.sh: admin_get, metric and snap send it
  CG_ADMIN_TOKEN=$(cat "$CG_TMP/admin.token")
  # Besides the standard set (all issued together), one with its own notAfter: 10 days from now.
  leaf_dated soon "DNS:soon.test" "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)"
  mkdir -p "$CG_TMP/certs" && cp "$CG_TMP/new/soon.pem" "$CG_TMP/certs/"
  o_start --admin-token-file "$CG_TMP/admin.token"
  assert_eq 401 "$(admin_req GET /metrics)" "GET /metrics without the token"
  local pport; pport=$(free_port)
  mkdir -p "$CG_TMP/prom-data"
  cat > "$CG_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: certgate
    authorization:
      type: Bearer
      credentials_file: $CG_TMP/admin.token
    static_configs:
      - targets: ['127.0.0.1:$CG_ADMIN']
EOF
  note "start: prometheus on 127.0.0.1:$pport scraping 127.0.0.1:$CG_ADMIN"
  prometheus --config.file="$CG_TMP/prometheus.yml" --storage.tsdb.path="$CG_TMP/prom-data" \
    --web.listen-address="127.0.0.1:$pport" >"$CG_TMP/prometheus.log" 2>&1 &
  local prom=$!
  _register_aux "$prom"
  local c
  { for c in alpha cnonly exact wild zulu; do echo "$c $(cert_not_after_epoch "$CG_PKI/$c.crt") certgate"; done
    echo "soon $(cert_not_after_epoch "$CG_TMP/new/soon.crt") certgate"; } | LC_ALL=C sort > "$CG_TMP/prom.want"
  local t0; t0=$(now_ms)
  if ! wait_for 20 _prom_has "$pport" "$CG_TMP/prom.want"; then
    echo "---- prometheus log"; tail -n 20 "$CG_TMP/prometheus.log"
    echo "---- targets"; curl -sS --max-time 5 "http://127.0.0.1:$pport/api/v1/targets" | head -c 1500; echo
    fail "Prometheus did not return the expiry series within 20 s: expected [$(tr '\n' ';' < "$CG_TMP/prom.want")], got [$(tr '\n' ';' < "$CG_TMP/prom.got" 2>/dev/null)]"
  fi
  note "ok: Prometheus returned certgate_cert_not_after_timestamp_seconds for every certificate, with its notAfter, after $(( $(now_ms) - t0 )) ms"
  sed 's/^/# /' "$CG_TMP/prom.got"
  # The scrape itself is healthy (up == 1), which needs the token: without it every scrape is a 401.
  assert_contains "$(prom_query "$pport" 'up{job="certgate"}')" '"value":[' "up{job=\"certgate\"} answer"
  assert_match "$(prom_query "$pport" 'up{job="certgate"}')" '"1"\]' "up{job=\"certgate\"}"
  # Stop Prometheus here; the case's cleanup (and the runner's process-group kill) would do it otherwise.
  kill -TERM "$prom"
  wait_for 10 _pid_gone "$prom" || fail "prometheus (pid $prom) still running 10 s after SIGTERM"
  note "ok: prometheus stopped"
}

run_cases "$@"
