#!/usr/bin/env bash
# Graceful stop: on SIGTERM /readyz turns 503, the listener closes (new connections refused) and a
# download under way runs to completion (intact) before certgate exits 0 with "drained"; with
# --drain-timeout 1s a slow download is cut after about a second and certgate still exits 0.
source "$(dirname "$0")/lib.sh"

MIB64=$((64 * 1024 * 1024))

# download_start RATE : GET /big?mib=64 through the proxy with curl --limit-rate RATE into $CG_TMP/big.bin
# (in the background: DL_PID; curl's -w output and status go to $CG_TMP/dl.out and $CG_TMP/dl.rc); returns
# once at least 256 KiB have arrived.
download_start() {
  rm -f "$CG_TMP/big.bin" "$CG_TMP/dl.rc"
  ( rc=0
    https alpha.test "/big?mib=64" --limit-rate "$1" -o "$CG_TMP/big.bin" -w '%{size_download}' >"$CG_TMP/dl.out" 2>"$CG_TMP/dl.err" || rc=$?
    echo "$rc" > "$CG_TMP/dl.rc" ) &
  DL_PID=$!
  _register_aux "$DL_PID"
  wait_for 10 _file_at_least "$CG_TMP/big.bin" 262144 || fail "the download did not start (curl: $(cat "$CG_TMP/dl.err" 2>/dev/null))"
  note "download under way at --limit-rate $1 ($(stat -c %s "$CG_TMP/big.bin") bytes so far)"
}
_file_at_least() { [ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]; }
download_running() { [ ! -f "$CG_TMP/dl.rc" ]; }

# cg_wait_exit SECONDS : certgate (already signalled) exits within SECONDS; sets EXIT_STATUS.
cg_wait_exit() {
  wait_for "$1" _pid_gone "$CG_PID" || { kill -9 "$CG_PID"; _cg_forget "$CG_PID"; fail "certgate still running $1 s later"; }
  EXIT_STATUS=0
  wait "$CG_PID" || EXIT_STATUS=$?
  _cg_forget "$CG_PID"
}

_readyz_is() { [ "$(admin_status /readyz)" = "$1" ]; }

case_sigterm_lets_a_download_finish() {
  admin_init
  std_start
  assert_eq 200 "$(admin_status /readyz)" "GET /readyz before the stop"
  # 64 MiB at 20 MiB/s: about 3 s.
  download_start 20M
  kill -TERM "$CG_PID"
  local t0; t0=$(now_ms)
  wait_for 3 grep -q "SIGTERM received: draining" "$CG_LOG" || fail "no 'SIGTERM received: draining' log line"
  wait_for 3 _readyz_is 503 || fail "GET /readyz during the drain: expected 503, got $(admin_status /readyz)"
  note "ok: GET /readyz = 503 during the drain ($(admin_get /readyz))"
  assert_eq 200 "$(admin_status /healthz)" "GET /healthz during the drain"
  wait_for 3 port_closed "$CG_PORT" || fail "a new connection to $CG_PORT was still accepted 3 s into the drain"
  note "ok: a new connection to $CG_PORT is refused during the drain"
  local out
  out=$(https alpha.test /hello 2>&1) && fail "a new request succeeded during the drain: $out"
  download_running || fail "the download finished before the drain checks were done: this case needs a slower download"
  assert_cg_alive "SIGTERM, with the download still running"
  # The download goes on to the end.
  wait_for 30 test -f "$CG_TMP/dl.rc" || fail "the download did not finish within 30 s of SIGTERM"
  note "download finished $(( $(now_ms) - t0 )) ms after SIGTERM"
  assert_eq 0 "$(cat "$CG_TMP/dl.rc")" "curl exit status (stderr: $(cat "$CG_TMP/dl.err"))"
  cg_wait_exit 5
  note "certgate exited $(( $(now_ms) - t0 )) ms after SIGTERM"
  assert_eq 0 "$EXIT_STATUS" "certgate exit status after the drain"
  assert_eq "$MIB64" "$(cat "$CG_TMP/dl.out")" "bytes downloaded across the stop"
  local want; want=$("$PY" "$UPSTREAM_PY" gen 64 | sha256sum | cut -d' ' -f1)
  assert_eq "$want" "$(sha256sum < "$CG_TMP/big.bin" | cut -d' ' -f1)" "sha256 of the 64 MiB downloaded across the stop"
  assert_eq 1 "$(grep -c ' drained' "$CG_LOG")" "'drained' log lines"
  assert_eq 0 "$(grep -c 'drain timeout' "$CG_LOG")" "'drain timeout' log lines"
  port_closed "$CG_ADMIN" || fail "the admin port still accepts after certgate exited"
}

case_drain_timeout_cuts_a_slow_download() {
  admin_init
  std_start --drain-timeout 1s
  # 64 MiB at 4 MiB/s would take 16 s.
  download_start 4M
  cg_signal_wait "$CG_PID" TERM 6
  _cg_forget "$CG_PID"
  [ "$SIG_STATUS" != timeout ] || { kill -9 "$CG_PID"; fail "certgate still running 6 s after SIGTERM with --drain-timeout 1s"; }
  assert_eq 0 "$SIG_STATUS" "certgate exit status after the drain timeout"
  note "certgate exited $SIG_MS ms after SIGTERM (--drain-timeout 1s)"
  [ "$SIG_MS" -ge 900 ] || fail "exited after $SIG_MS ms: the download did not get its 1 s of drain time"
  assert_le "$SIG_MS" 2500 "ms from SIGTERM to exit with --drain-timeout 1s"
  assert_eq 1 "$(grep -c 'drain timeout: closed the remaining connections' "$CG_LOG")" "'drain timeout' log lines"
  assert_eq 0 "$(grep -c ' drained' "$CG_LOG")" "'drained' log lines"
  # The download was cut: curl ends (with an error) and got only part of the body. What the kernel had
  # already buffered (certgate's socket send buffer, curl's receive buffer) still reaches curl at its
  # limited rate, so give it a few seconds.
  local t0; t0=$(now_ms)
  wait_for 15 test -f "$CG_TMP/dl.rc" || fail "curl still running 15 s after certgate exited ($(stat -c %s "$CG_TMP/big.bin") bytes so far)"
  note "curl ended $(( $(now_ms) - t0 )) ms after certgate exited"
  assert_ne 0 "$(cat "$CG_TMP/dl.rc")" "curl exit status of the cut download"
  local got; got=$(stat -c %s "$CG_TMP/big.bin")
  note "cut download: $got bytes, curl: $(cat "$CG_TMP/dl.err")"
  [ "$got" -lt "$MIB64" ] || fail "the download completed ($got bytes) although the drain timed out"
}

run_cases "$@"
