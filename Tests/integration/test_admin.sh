#!/usr/bin/env bash
# Admin listener: /healthz, /metrics (Prometheus text), 404.
source "$(dirname "$0")/lib.sh"

a_start() {
  admin_init
  std_start "$@"
  # The readiness probe (a TCP connect without a ClientHello) is a connection too: let it finish
  # before taking any baseline.
  wait_for 5 metric_is certgate_connections_active "" 0 || fail "certgate_connections_active did not settle at 0 after start-up: $(metric certgate_connections_active)"
}

case_healthz() {
  a_start
  assert_eq 200 "$(admin_status /healthz)" "GET /healthz status"
}

case_unknown_path_404() {
  a_start
  assert_eq 404 "$(admin_status /no-such-path)" "GET /no-such-path status"
}

case_metrics_families() {
  a_start
  assert_eq 200 "$(admin_status /metrics)" "GET /metrics status"
  local m; m=$(admin_get /metrics)
  local name
  for name in certgate_build_info certgate_connections_active certgate_tls_handshakes_total; do
    assert_match "$m" "^$name(\{| )" "metrics has $name"
  done
  assert_match "$m" '^certgate_tls_handshakes_total\{[^}]*result="success"' "success series"
  assert_match "$m" '^certgate_tls_handshakes_total\{[^}]*result="failure"' "failure series (initialised)"
  assert_eq 0 "$(metric certgate_connections_active)" "certgate_connections_active when idle"
  assert_match "$(curl -sS -D - -o /dev/null "http://127.0.0.1:$CG_ADMIN/metrics" | tr -d '\r' | grep -i '^content-type:')" 'text/plain' "content type of /metrics"
}

case_handshake_success_counts_exactly() {
  a_start
  local before after before_f
  before=$(metric certgate_tls_handshakes_total 'result="success"')
  before_f=$(metric certgate_tls_handshakes_total 'result="failure"')
  [ "$before" != absent ] || fail "no certgate_tls_handshakes_total{result=\"success\"} sample"
  for _ in 1 2 3 4 5 6 7; do assert_hello alpha.test; done
  wait_for 5 metric_is certgate_tls_handshakes_total 'result="success"' $((before + 7)) || true
  after=$(metric certgate_tls_handshakes_total 'result="success"')
  assert_eq $((before + 7)) "$after" "successful handshakes after 7 connections (was $before)"
  assert_eq "$before_f" "$(metric certgate_tls_handshakes_total 'result="failure"')" "failed handshakes (unchanged)"
}

case_keepalive_counts_one_handshake() {
  a_start
  local before urls=()
  before=$(metric certgate_tls_handshakes_total 'result="success"')
  for _ in $(seq 1 20); do urls+=("https://alpha.test:$CG_PORT/hello"); done
  curl -sS --max-time 30 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" "${urls[@]}" >/dev/null \
    || fail "20 keep-alive requests"
  wait_for 5 metric_is certgate_tls_handshakes_total 'result="success"' $((before + 1)) || true
  assert_eq $((before + 1)) "$(metric certgate_tls_handshakes_total 'result="success"')" "handshakes for 20 requests on one connection"
}

case_handshake_failure_counted() {
  a_start
  local before_f before_s
  before_f=$(metric certgate_tls_handshakes_total 'result="failure"')
  before_s=$(metric certgate_tls_handshakes_total 'result="success"')
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind random --expect-close 10 >/dev/null || fail "garbage connection not closed"
  wait_for 5 metric_is certgate_tls_handshakes_total 'result="failure"' $((before_f + 1)) || true
  assert_eq $((before_f + 1)) "$(metric certgate_tls_handshakes_total 'result="failure"')" "failed handshakes after one garbage connection"
  # A TLS 1.1-only client is refused during the handshake: one more failure.
  tls_try "$CG_TMP/t11" -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_1 -cipher 'ALL:@SECLEVEL=0' && fail "TLS 1.1 was accepted"
  wait_for 5 metric_is certgate_tls_handshakes_total 'result="failure"' $((before_f + 2)) || true
  assert_eq $((before_f + 2)) "$(metric certgate_tls_handshakes_total 'result="failure"')" "failed handshakes after a TLS 1.1 attempt"
  assert_eq "$before_s" "$(metric certgate_tls_handshakes_total 'result="success"')" "successful handshakes (unchanged)"
}

case_connections_active_gauge() {
  a_start
  coproc HOLD { "$PY" "$CLIENT_PY" hold --port "$CG_PORT" --ca "$CG_PKI/ca.crt" -n 3; }
  _register_aux "$HOLD_PID"
  local line=""
  read -r -t 10 line <&"${HOLD[0]}" || true
  assert_eq "ready 3" "$line" "idle TLS connections established"
  wait_for 5 metric_is certgate_connections_active "" 3 || true
  assert_eq 3 "$(metric certgate_connections_active)" "certgate_connections_active with 3 open connections"
  local wfd=${HOLD[1]}
  exec {wfd}>&-   # end of input: the holder closes its connections
  wait_for 5 metric_is certgate_connections_active "" 0 || true
  assert_eq 0 "$(metric certgate_connections_active)" "certgate_connections_active after they closed"
}

case_build_info_labels() {
  a_start
  local line; line=$(admin_get /metrics | grep -E '^certgate_build_info(\{| )' | head -n 1)
  note "build info: $line"
  assert_match "$line" '^certgate_build_info\{.*version="[^"]+"' "certgate_build_info has a version label"
  assert_match "$line" ' 1(\.0)?$' "certgate_build_info value"
}

run_cases "$@"
