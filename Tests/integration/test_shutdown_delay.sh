#!/usr/bin/env bash
# --shutdown-delay: on SIGTERM /readyz turns 503 at once, but the listener keeps accepting and serving
# new connections for the delay; then the drain starts as usual (listener closed) and certgate exits 0.
source "$(dirname "$0")/lib.sh"

_readyz_is() { [ "$(admin_status /readyz)" = "$1" ]; }

# exit_within SECONDS : certgate (already signalled) exits within SECONDS; sets EXIT_STATUS.
exit_within() {
  wait_for "$1" _pid_gone "$CG_PID" || { kill -9 "$CG_PID"; _cg_forget "$CG_PID"; fail "certgate still running $1 s later"; }
  EXIT_STATUS=0
  wait "$CG_PID" || EXIT_STATUS=$?
  _cg_forget "$CG_PID"
}

case_sigterm_keeps_accepting_during_the_delay() {
  admin_init
  std_start --shutdown-delay 2s
  assert_eq 200 "$(admin_status /readyz)" "GET /readyz before the stop"
  local t0; t0=$(now_ms)
  kill -TERM "$CG_PID"
  wait_for 1 _readyz_is 503 || fail "GET /readyz right after SIGTERM: expected 503, got $(admin_status /readyz)"
  note "ok: GET /readyz = 503 $(( $(now_ms) - t0 )) ms after SIGTERM"
  wait_for 1 grep -q "SIGTERM received: not ready" "$CG_LOG" || fail "no 'SIGTERM received: not ready' log line"
  # A new connection is still accepted and served.
  assert_hello
  local served; served=$(( $(now_ms) - t0 ))
  [ "$served" -lt 1800 ] || fail "the request during the delay took until $served ms after SIGTERM: too slow to prove anything"
  note "ok: a new connection was served $served ms after SIGTERM"
  assert_eq 0 "$(grep -c 'received: draining' "$CG_LOG")" "'draining' log lines during the delay"
  assert_cg_alive "SIGTERM, during the shutdown delay"
  # Then the drain, and the exit.
  wait_for 4 grep -q "SIGTERM received: draining" "$CG_LOG" || fail "the drain did not start within 4 s of SIGTERM"
  local drain; drain=$(( $(now_ms) - t0 ))
  note "drain started about $drain ms after SIGTERM"
  [ "$drain" -ge 1900 ] || fail "the drain started $drain ms after SIGTERM, before the 2 s shutdown delay"
  exit_within 5
  note "certgate exited $(( $(now_ms) - t0 )) ms after SIGTERM"
  assert_eq 0 "$EXIT_STATUS" "certgate exit status"
  assert_eq 1 "$(grep -c ' drained' "$CG_LOG")" "'drained' log lines"
  port_closed "$CG_PORT" || fail "the listener still accepts after certgate exited"
}

case_a_connection_opened_during_the_delay_finishes_in_the_drain() {
  admin_init
  std_start --shutdown-delay 1s
  kill -TERM "$CG_PID"
  wait_for 1 _readyz_is 503 || fail "GET /readyz right after SIGTERM: expected 503, got $(admin_status /readyz)"
  # 16 MiB at 4 MiB/s: about 4 s, started during the delay and still running well into the drain.
  ( rc=0
    https alpha.test "/big?mib=16" --limit-rate 4M -o "$CG_TMP/big.bin" -w '%{size_download}' >"$CG_TMP/dl.out" 2>"$CG_TMP/dl.err" || rc=$?
    echo "$rc" > "$CG_TMP/dl.rc" ) &
  _register_aux "$!"
  wait_for 4 grep -q "SIGTERM received: draining" "$CG_LOG" || fail "the drain did not start within 4 s of SIGTERM"
  [ ! -f "$CG_TMP/dl.rc" ] || fail "the download ended before the drain started: $(cat "$CG_TMP/dl.err")"
  wait_for 3 port_closed "$CG_PORT" || fail "new connections are still accepted during the drain"
  wait_for 20 test -f "$CG_TMP/dl.rc" || fail "the download did not finish"
  assert_eq 0 "$(cat "$CG_TMP/dl.rc")" "curl exit status (stderr: $(cat "$CG_TMP/dl.err"))"
  assert_eq $((16 * 1024 * 1024)) "$(cat "$CG_TMP/dl.out")" "bytes downloaded across the delay and the drain"
  exit_within 5
  assert_eq 0 "$EXIT_STATUS" "certgate exit status"
}

case_second_signal_during_the_delay_exits_at_once() {
  admin_init
  std_start --shutdown-delay 10s
  kill -TERM "$CG_PID"
  wait_for 1 _readyz_is 503 || fail "GET /readyz right after SIGTERM: expected 503"
  local t0; t0=$(now_ms)
  kill -TERM "$CG_PID"
  exit_within 2
  note "certgate exited $(( $(now_ms) - t0 )) ms after the second SIGTERM"
  assert_eq 0 "$EXIT_STATUS" "certgate exit status"
}

run_cases "$@"
