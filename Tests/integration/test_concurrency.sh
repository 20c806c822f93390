#!/usr/bin/env bash
# 200 connections open at the same time (all handshakes done before any request), each gets its own answer.
# case-timeout: 120
source "$(dirname "$0")/lib.sh"

concurrent() {
  "$PY" "$CLIENT_PY" concurrent --port "$CG_PORT" --sni "$1" --ca "$CG_PKI/ca.crt" -n "$2" \
    || fail "$2 concurrent connections (see above)"
}

case_200_concurrent_default_workers() {
  std_start
  concurrent alpha.test 200
  assert_hello
}

case_200_concurrent_one_worker() {
  std_start --workers 1
  concurrent a.example.com 200
}

case_200_concurrent_two_workers() {
  std_start --workers 2
  concurrent zulu.test 200
}

case_200_concurrent_workers_auto() {
  std_start --workers auto
  concurrent exact.example.com 200
}

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

case_no_descriptor_leak() {
  admin_init
  std_start
  wait_for 5 metric_is certgate_connections_active "" 0 || fail "connections did not settle after start-up"
  local base; base=$(fd_count "$CG_PID")
  concurrent alpha.test 200
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind random --expect-close 10 >/dev/null || fail "garbage connection"
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind partial >/dev/null || fail "partial ClientHello"
  wait_for 10 metric_is certgate_connections_active "" 0 || fail "certgate_connections_active did not return to 0: $(metric certgate_connections_active)"
  wait_for 5 test "$(fd_count "$CG_PID")" -le "$base" || true
  assert_le "$(fd_count "$CG_PID")" "$base" "open descriptors after 200 connections and 2 bad ones (baseline $base)"
}

run_cases "$@"
