#!/usr/bin/env bash
# Version, start-up log, signals.
source "$(dirname "$0")/lib.sh"

case_version() {
  local out rc=0
  out=$(timeout 10 "$CG_BIN" version 2>&1) || rc=$?
  note "version output: $out"
  assert_eq 0 "$rc" "exit status of certgate version"
  assert_imatch "$out" 'certgate[^0-9]*[0-9]+\.[0-9]+' "certgate version"
  assert_match "$out" 'OpenSSL 3\.[0-9]+\.[0-9]+' "OpenSSL version"
  assert_imatch "$out" 'libev[^0-9]*[0-9]+\.[0-9]+' "libev version"
}

case_logs_listening() {
  std_start
  wait_for 5 grep -qi listening "$CG_LOG" || fail "no log line containing 'listening' (log: $(head -c 600 "$CG_LOG"))"
  note "ok: $(grep -i -m1 listening "$CG_LOG")"
}

case_json_log_format() {
  std_start --log-format json
  wait_for 5 grep -qi listening "$CG_LOG" || fail "no log line containing 'listening'"
  local bad
  bad=$(grep -v '^[[:space:]]*$' "$CG_LOG" | "$PY" -c '
import json, sys
bad = 0
for line in sys.stdin:
    try:
        json.loads(line)
    except ValueError:
        bad += 1
        print("not JSON: " + line.rstrip(), file=sys.stderr)
print(bad)')
  assert_eq 0 "$bad" "log lines that are not JSON objects"
}

signal_exit() {
  local sig=$1
  std_start
  assert_hello
  cg_signal_wait "$CG_PID" "$sig" 5
  _cg_forget "$CG_PID"
  [ "$SIG_STATUS" != timeout ] || { kill -9 "$CG_PID"; fail "certgate still running 5 s after SIG$sig"; }
  assert_eq 0 "$SIG_STATUS" "exit status after SIG$sig"
  note "exited after $SIG_MS ms"
  port_closed "$CG_PORT" || fail "port $CG_PORT still accepts after certgate exited"
}

case_sigterm_exits_0() { signal_exit TERM; }
case_sigint_exits_0() { signal_exit INT; }

# Open connections are drained: idle ones hold the process until --drain-timeout, then are closed.
case_sigterm_with_open_connections() {
  std_start --drain-timeout 1s
  # Two established TLS connections and one idle TCP connection stay open across the signal.
  coproc HOLD { "$PY" "$CLIENT_PY" hold --port "$CG_PORT" --ca "$CG_PKI/ca.crt" -n 2; }
  _register_aux "$HOLD_PID"
  local line=""
  read -r -t 10 line <&"${HOLD[0]}" || true
  assert_eq "ready 2" "$line" "idle TLS connections established"
  exec 47<>"/dev/tcp/127.0.0.1/$CG_PORT"
  cg_signal_wait "$CG_PID" TERM 5
  _cg_forget "$CG_PID"
  [ "$SIG_STATUS" != timeout ] || { kill -9 "$CG_PID"; fail "certgate still running 5 s after SIGTERM with --drain-timeout 1s"; }
  assert_eq 0 "$SIG_STATUS" "exit status after SIGTERM with open connections"
  [ "$SIG_MS" -ge 900 ] || fail "exited after $SIG_MS ms: the open connections were not given the drain time"
  grep -q "drain timeout: closed the remaining connections" "$CG_LOG" || fail "no drain-timeout log line"
  exec 47>&-
}

# A second SIGTERM during the drain exits at once.
case_second_sigterm_exits_at_once() {
  std_start --drain-timeout 30s
  coproc HOLD { "$PY" "$CLIENT_PY" hold --port "$CG_PORT" --ca "$CG_PKI/ca.crt" -n 1; }
  _register_aux "$HOLD_PID"
  local line=""
  read -r -t 10 line <&"${HOLD[0]}" || true
  assert_eq "ready 1" "$line" "idle TLS connection established"
  kill -TERM "$CG_PID"
  wait_for 5 grep -q "SIGTERM received: draining" "$CG_LOG" || fail "no draining log line"
  # The log line comes first; the workers close their listeners right after, on their own threads.
  wait_for 3 port_closed "$CG_PORT" || fail "listener still accepting 3 s into the drain"
  assert_cg_alive "draining with an open connection"
  cg_signal_wait "$CG_PID" TERM 5
  _cg_forget "$CG_PID"
  [ "$SIG_STATUS" != timeout ] || { kill -9 "$CG_PID"; fail "certgate still running 5 s after a second SIGTERM"; }
  assert_eq 0 "$SIG_STATUS" "exit status after a second SIGTERM"
  grep -q "second SIGTERM: exiting now" "$CG_LOG" || fail "no 'second SIGTERM' log line"
}

case_ignores_sigpipe() {
  std_start
  kill -PIPE "$CG_PID"
  assert_hello
  assert_cg_alive "SIGPIPE"
}

run_cases "$@"
