#!/usr/bin/env bash
# Half-close in both directions, with a raw upstream that records what it sees (upstream.py raw).
source "$(dirname "$0")/lib.sh"

hc_start() {
  up_start raw
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
}

# (a) The client sends 1 MiB, then closes its write side; the upstream must see EOF (after all the
# bytes), and its reply, sent 300 ms later, must still reach the client, followed by close_notify.
case_client_close_notify_then_reads_reply() {
  hc_start
  "$PY" "$CLIENT_PY" halfclose-a --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --variant notify \
    --id a1 --record "$CG_TMP/rec" || fail "client half-close with close_notify (see above)"
}

case_client_close_notify_and_fin_then_reads_reply() {
  hc_start
  "$PY" "$CLIENT_PY" halfclose-a --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --variant notify+fin \
    --id a2 --record "$CG_TMP/rec" || fail "client half-close with close_notify + TCP FIN (see above)"
}

case_client_fin_without_close_notify_then_reads_reply() {
  hc_start
  "$PY" "$CLIENT_PY" halfclose-a --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --variant fin \
    --id a3 --record "$CG_TMP/rec" || fail "client half-close with a bare TCP FIN (see above)"
}

# (b) The upstream sends its response and shuts down its write side while still reading; the client
# must see close_notify after the whole response, and 1 MiB it sends afterwards must reach the upstream
# while the connection is still open; then the client closes and the upstream sees EOF.
case_upstream_shut_wr_then_client_still_sends() {
  hc_start
  "$PY" "$CLIENT_PY" halfclose-b --port "$CG_PORT" --ca "$CG_PKI/ca.crt" \
    --id b1 --record "$CG_TMP/rec" || fail "upstream half-close (see above)"
}

case_both_directions_with_tls12() {
  # TLS 1.2 has no half-close in its RFC, but OpenSSL supports it and the proxy must behave the same.
  hc_start
  "$PY" "$CLIENT_PY" halfclose-a --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --variant notify --tls12 \
    --id t12a --record "$CG_TMP/rec" || fail "client half-close over TLS 1.2 (see above)"
  "$PY" "$CLIENT_PY" halfclose-b --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --tls12 \
    --id t12b --record "$CG_TMP/rec" || fail "upstream half-close over TLS 1.2 (see above)"
}

case_many_half_closes_release_connections() {
  admin_init
  up_start raw
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN"
  local i
  for i in 1 2 3 4 5; do
    "$PY" "$CLIENT_PY" halfclose-a --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --variant notify --id "m$i" --record "$CG_TMP/rec" >"$CG_TMP/hc.out" 2>&1 \
      || fail "half-close round $i (a): $(tail -n 3 "$CG_TMP/hc.out")"
    "$PY" "$CLIENT_PY" halfclose-b --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --id "n$i" --record "$CG_TMP/rec" >"$CG_TMP/hc.out" 2>&1 \
      || fail "half-close round $i (b): $(tail -n 3 "$CG_TMP/hc.out")"
  done
  wait_for 5 metric_is certgate_connections_active "" 0 \
    || fail "certgate_connections_active after 10 finished half-closed connections: expected 0, got $(metric certgate_connections_active)"
  note "ok: certgate_connections_active back to 0"
}

run_cases "$@"
