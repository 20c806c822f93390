#!/usr/bin/env bash
# --idle-timeout and --tcp-keepalive: a proxied connection that goes silent is closed (both sides) after
# the idle timeout and counted as certgate_connections_closed_total{reason="idle_timeout"}; one with
# steady traffic is not; `off` keeps idle connections open; SO_KEEPALIVE is set on the client and the
# upstream socket unless --tcp-keepalive false.
source "$(dirname "$0")/lib.sh"

# idle_client WAIT EXPECT [ready file] : client.py idle (one request, then silence) against certgate.
idle_client() {
  "$PY" "$CLIENT_PY" idle --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --wait "$1" --expect "$2" \
    ${3:+--ready "$3"}
}

# established FILTER : certgate-side established sockets matching an ss filter, with their timers.
established() { ss -tnoiH state established "$1"; }
# The socket certgate accepted (local port $CG_PORT) and the one it opened to the upstream.
client_socket() { established "( sport = :$CG_PORT )"; }
upstream_socket() { established "( dport = :$UP_PORT )"; }
_no_upstream_socket() { [ -z "$(upstream_socket)" ]; }
# Both sockets exist and neither has unacknowledged data (a retransmit timer hides the keepalive one).
_both_quiet() {
  local c u
  c=$(client_socket); u=$(upstream_socket)
  [ -n "$c" ] && [ -n "$u" ] && [[ "$c$u" != *"timer:(on"* ]]
}
_idle_closes_is() { metric_is certgate_connections_closed_total 'reason="idle_timeout"' "$1"; }

case_silent_connection_is_closed_after_the_idle_timeout() {
  admin_init
  std_start --idle-timeout 1s
  assert_eq 0 "$(metric certgate_connections_closed_total 'reason="idle_timeout"')" "idle closes before"
  local out
  out=$(idle_client 10 closed) || fail "the silent connection was not closed: $out"
  note "client: $out"
  local secs; secs=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' <<<"$out")
  [ -n "$secs" ] || fail "unexpected client output: $out"
  awk -v s="$secs" 'BEGIN { exit !(s >= 0.9 && s <= 2.5) }' \
    || fail "closed after $secs s with --idle-timeout 1s (expected 0.9 to 2.5 s)"
  wait_for 3 _idle_closes_is 1 \
    || fail "certgate_connections_closed_total{reason=\"idle_timeout\"}: expected 1, got $(metric certgate_connections_closed_total 'reason="idle_timeout"')"
  note "ok: $(admin_get /metrics | grep '^certgate_connections_closed_total' | tr '\n' ' ')"
  # Both sides: the upstream connection is gone too.
  wait_for 3 _no_upstream_socket || fail "the upstream connection is still open: $(upstream_socket)"
  assert_eq 0 "$(metric certgate_connections_closed_total 'reason="error"')" "connections closed with reason error"
  assert_cg_alive "an idle timeout"
  assert_hello
}

case_steady_traffic_is_not_closed() {
  admin_init
  std_start --idle-timeout 1s
  rm -f "$CG_TMP/ka.stop"
  # One request every 300 ms on one connection, for about 3.5 s: three and a half idle timeouts.
  "$PY" "$IT_DIR/keepalive.py" --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --stopfile "$CG_TMP/ka.stop" \
    --interval 0.3 --ready "$CG_TMP/ka.ready" --progress "$CG_TMP/ka.count" >"$CG_TMP/ka.out" 2>&1 &
  local pid=$!
  _register_aux "$pid"
  wait_for 10 test -f "$CG_TMP/ka.ready" || fail "the keep-alive connection never got its first answer: $(cat "$CG_TMP/ka.out")"
  sleep 3.5
  touch "$CG_TMP/ka.stop"
  local rc=0
  wait "$pid" || rc=$?
  note "keep-alive client: $(cat "$CG_TMP/ka.out")"
  assert_eq 0 "$rc" "keep-alive client exit status"
  assert_match "$(cat "$CG_TMP/ka.out")" 'failures=0' "keep-alive client"
  local n; n=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$CG_TMP/ka.out")
  assert_ge "$n" 8 "requests answered on one connection over 3.5 s"
  # The client ended it (the port probe of the start counts as a client close too).
  wait_for 3 metric_ge certgate_connections_closed_total 'reason="client_close"' 1 \
    || fail "no client_close counted: $(admin_get /metrics | grep '^certgate_connections_closed_total' | tr '\n' ' ')"
  note "ok: $(admin_get /metrics | grep '^certgate_connections_closed_total' | tr '\n' ' ')"
  local reason
  for reason in idle_timeout upstream_close error drain; do
    assert_eq 0 "$(metric certgate_connections_closed_total "reason=\"$reason\"")" "connections closed with reason $reason"
  done
}

case_off_keeps_an_idle_connection_open() {
  admin_init
  std_start --idle-timeout off
  local out
  out=$(idle_client 3 open) || fail "with --idle-timeout off the silent connection ended: $out"
  note "client: $out"
  assert_eq 0 "$(metric certgate_connections_closed_total 'reason="idle_timeout"')" "idle closes"
}

# A config reload changes the idle timeout for new connections; one already open keeps its own.
case_reload_changes_it_for_new_connections() {
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  local conf="$CG_TMP/certgate.yaml"
  printf 'listen: 127.0.0.1:%s\nupstream: 127.0.0.1:%s\nadmin: 127.0.0.1:%s\ncert-dir: %s\nidle-timeout: off\n' \
    "$CG_PORT" "$UP_PORT" "$CG_ADMIN" "$CG_TMP/certs" > "$conf"
  cg_launch run --config "$conf"
  idle_client 5 open "$CG_TMP/ready" >"$CG_TMP/old.out" 2>&1 &
  local old=$!
  _register_aux "$old"
  wait_for 10 test -f "$CG_TMP/ready" || fail "the first client never got its answer: $(cat "$CG_TMP/old.out")"
  sed -i 's/^idle-timeout: off$/idle-timeout: 1s/' "$conf"
  kill -HUP "$CG_PID"
  wait_for 5 grep -q "configuration reloaded.*idle-timeout" "$CG_LOG" || fail "no 'configuration reloaded' line naming idle-timeout"
  local out
  out=$(idle_client 10 closed) || fail "a connection made after the reload was not closed: $out"
  note "new connection: $out"
  wait "$old" || fail "the connection opened before the reload was closed: $(cat "$CG_TMP/old.out")"
  note "old connection: $(cat "$CG_TMP/old.out")"
  assert_eq 1 "$(metric certgate_connections_closed_total 'reason="idle_timeout"')" "idle closes"
}

# hold_idle NAME : one more idle client in the background (quiet for 4 s), back once its request is answered.
HOLD_PIDS=()
hold_idle() {
  idle_client 4 open "$CG_TMP/$1.ready" >"$CG_TMP/$1.out" 2>&1 &
  HOLD_PIDS+=("$!")
  _register_aux "$!"
  wait_for 10 test -f "$CG_TMP/$1.ready" || fail "idle client $1 never got its answer: $(cat "$CG_TMP/$1.out")"
}
# The idle clients all stay open until they end on their own.
holds_end() {
  local p
  for p in "${HOLD_PIDS[@]}"; do wait "$p" || fail "an idle connection ended early"; done
  HOLD_PIDS=()
}
# keepalive_on SIDE N TOTAL : of certgate's TOTAL sockets on SIDE (client_socket or upstream_socket), N
# have a keepalive timer.
keepalive_on() {
  local out; out=$("$1")
  note "$1: $out"
  assert_eq "$3" "$(grep -c '^[0-9]' <<<"$out")" "established sockets ($1)"
  assert_eq "$2" "$(grep -c 'timer:(keepalive' <<<"$out")" "of them with timer:(keepalive ($1)"
}

# One worker, two connections: the first sets the listener's options, the second inherits them.
case_tcp_keepalive_on_client_and_upstream_sockets() {
  std_start --workers 1
  hold_idle a
  hold_idle b
  wait_for 2 _both_quiet || fail "no quiet established socket on each side: '$(client_socket)', '$(upstream_socket)'"
  keepalive_on client_socket 2 2
  keepalive_on upstream_socket 2 2
  # The first probe is due 60 s after the last traffic (TCP_KEEPIDLE): ss shows the time left.
  assert_match "$(client_socket)" 'timer:\(keepalive,(5[0-9]|60)sec' "keepalive timer of the client sockets"
  holds_end
}

case_tcp_keepalive_false_sets_none() {
  std_start --workers 1 --tcp-keepalive false
  hold_idle a
  hold_idle b
  wait_for 2 _both_quiet || fail "no quiet established socket on each side: '$(client_socket)', '$(upstream_socket)'"
  keepalive_on client_socket 0 2
  keepalive_on upstream_socket 0 2
  holds_end
}

# A reload turns it off for new connections (the listener's inherited options included); the open one keeps it.
case_tcp_keepalive_reload() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  local conf="$CG_TMP/certgate.yaml"
  printf 'listen: 127.0.0.1:%s\nupstream: 127.0.0.1:%s\ncert-dir: %s\nworkers: 1\ntcp-keepalive: true\n' \
    "$CG_PORT" "$UP_PORT" "$CG_TMP/certs" > "$conf"
  cg_launch run --config "$conf"
  hold_idle a
  sed -i 's/^tcp-keepalive: true$/tcp-keepalive: false/' "$conf"
  kill -HUP "$CG_PID"
  wait_for 5 grep -q "configuration reloaded.*tcp-keepalive" "$CG_LOG" || fail "no 'configuration reloaded' line naming tcp-keepalive"
  hold_idle b
  hold_idle c
  wait_for 2 _both_quiet || fail "no quiet established socket on each side: '$(client_socket)', '$(upstream_socket)'"
  keepalive_on client_socket 1 3
  keepalive_on upstream_socket 1 3
  holds_end
}

run_cases "$@"
