#!/usr/bin/env bash
# Resource limits: out of file descriptors (EMFILE) the listeners pause with a back-off instead of
# spinning, and serve again as soon as descriptors are free; --max-connections caps the connections
# open at once across all workers, leaving the next clients in the listen backlog until one closes.
# case-timeout: 90
source "$(dirname "$0")/lib.sh"

# cpu_ticks PID : user + system CPU time of the process (all threads) in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# EMFILE: certgate under `prlimit --nofile=128` with 400 silent connections held open (more than it has
# descriptors for; --max-connections set above what 128 descriptors carry, so the cap does not step in).
# It must stay (nearly) idle while they are held, and serve a new client within 1 s of them closing.
case_out_of_descriptors_pauses_instead_of_spinning() {
  command -v prlimit >/dev/null || skip "prlimit (util-linux) is missing"
  admin_init
  # A wrapper that execs prlimit, which execs certgate: the pid cg_launch records is certgate's.
  local real=$CG_BIN
  local CG_BIN="$CG_TMP/certgate-nofile128"
  printf '#!/bin/sh\nexec prlimit --nofile=128 %q "$@"\n' "$real" >"$CG_BIN"
  chmod +x "$CG_BIN"
  std_start --workers 2 --max-connections 1000 --handshake-timeout 60s
  assert_eq certgate "$(cat "/proc/$CG_PID/comm")" "process under test"
  assert_eq 128 "$(awk '/^Max open files/ { print $4 }' "/proc/$CG_PID/limits")" "certgate's descriptor limit"
  assert_match "$(cat "$CG_LOG")" 'file descriptor limit.*nofile=128' "start-up log (the descriptor limit)"

  "$PY" "$CLIENT_PY" flood --port "$CG_PORT" -n 400 --stopfile "$CG_TMP/flood.stop" --ready "$CG_TMP/flood.ready" \
    >"$CG_TMP/flood.out" 2>&1 &
  local flood=$!
  _register_aux "$flood"
  wait_for 20 test -f "$CG_TMP/flood.ready" || fail "the flood did not open its 400 connections: $(cat "$CG_TMP/flood.out")"
  wait_for 10 grep -q 'accept failed: pausing the listener' "$CG_LOG" \
    || fail "certgate never ran out of descriptors under the flood"
  note "$(grep -m1 'accept failed: pausing the listener' "$CG_LOG")"

  # A spinning listener burns a whole core (~500 ticks in 5 s); 5 % of a core is 25 ticks.
  local t0 t1 ms used
  sleep 0.5
  t0=$(cpu_ticks "$CG_PID"); ms=$(now_ms)
  sleep 5
  t1=$(cpu_ticks "$CG_PID"); ms=$(( $(now_ms) - ms ))
  used=$((t1 - t0))
  local ticks_per_s; ticks_per_s=$(getconf CLK_TCK)
  local tenths=$((used * 1000000 / (ticks_per_s * ms)))
  note "CPU while flooded: $used ticks in $ms ms ($((tenths / 10)).$((tenths % 10)) % of a core)"
  [ $((used * 1000 * 100)) -lt $((5 * ticks_per_s * ms)) ] \
    || fail "certgate used $used ticks in $ms ms while out of descriptors: more than 5 % of a core"
  assert_cg_alive "the flood"

  # The flood ends: a new client is served within 1 s.
  local start elapsed out
  start=$(now_ms)
  touch "$CG_TMP/flood.stop"
  wait "$flood" || fail "the flood client failed: $(cat "$CG_TMP/flood.out")"
  out=$(https alpha.test /hello --max-time 2 2>&1) || fail "no answer after the flood ended: $out"
  elapsed=$(( $(now_ms) - start ))
  assert_eq "hello from upstream" "$out" "GET /hello after the flood"
  assert_le "$elapsed" 1000 "ms from the end of the flood to the answer"

  local paused; paused=$(metric certgate_accept_paused_total 'reason="no_descriptors"')
  assert_ge "$paused" 1 "certgate_accept_paused_total{reason=\"no_descriptors\"}"
  # At most a few pauses a second per listener while flooded, never one per readiness event.
  assert_le "$paused" 60 "pauses during the flood"
  assert_hello alpha.test
}

# --max-connections 5: five keep-alive connections fill it; a sixth client's handshake waits in the backlog
# while the five keep working, and completes as soon as one of them closes.
case_max_connections_holds_new_clients_in_the_backlog() {
  admin_init
  std_start --workers 2 --max-connections 5
  assert_eq 5 "$(metric certgate_connections_limit)" "certgate_connections_limit"
  local reached0; reached0=$(metric certgate_connections_limit_reached_total)
  local i
  for i in 1 2 3 4 5; do ka_start "$i"; done
  wait_for 5 metric_is certgate_connections_active "" 5 || fail "expected 5 active connections, got $(metric certgate_connections_active)"

  # The sixth: TCP connects (the kernel's backlog), the TLS handshake does not get an answer.
  "$PY" "$IT_DIR/keepalive.py" --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --stopfile "$CG_TMP/ka.stop" \
    --ready "$CG_TMP/ka-6.ready" --progress "$CG_TMP/ka-6.count" >"$CG_TMP/ka-6.out" 2>&1 &
  KA_PIDS[6]=$!
  _register_aux "$!"
  sleep 2
  [ ! -f "$CG_TMP/ka-6.ready" ] || fail "the sixth connection was served although the limit is 5"
  kill -0 "${KA_PIDS[6]}" 2>/dev/null || fail "the sixth client gave up: $(cat "$CG_TMP/ka-6.out")"
  note "ok: the sixth connection is still waiting after 2 s"
  for i in 1 2 3 4 5; do ka_still_works "$i" "the limit was reached"; done
  assert_eq 5 "$(metric certgate_connections_active)" "certgate_connections_active at the limit"
  local reached; reached=$(metric certgate_connections_limit_reached_total)
  assert_ge "$reached" $((reached0 + 1)) "certgate_connections_limit_reached_total"

  # One closes: the sixth gets its slot.
  local start; start=$(now_ms)
  kill "${KA_PIDS[1]}"; wait "${KA_PIDS[1]}" 2>/dev/null
  unset 'KA_PIDS[1]'
  wait_for 5 test -f "$CG_TMP/ka-6.ready" || fail "the sixth connection was not served after one closed: $(cat "$CG_TMP/ka-6.out")"
  note "ok: the sixth connection was served $(( $(now_ms) - start )) ms after one of the five closed"
  ka_still_works 6 "it was admitted"
  for i in 2 3 4 5; do ka_still_works "$i" "the sixth was admitted"; done
  assert_eq 5 "$(metric certgate_connections_active)" "certgate_connections_active"
  ka_stop_all
}

# auto: the limit follows the descriptor limit (prlimit 256, 1 worker, admin listener with its 64):
# (256 - 64 - 2 - 66) / 2 = 62; it is logged and exported.
case_max_connections_auto_follows_the_descriptor_limit() {
  command -v prlimit >/dev/null || skip "prlimit (util-linux) is missing"
  admin_init
  local real=$CG_BIN
  local CG_BIN="$CG_TMP/certgate-nofile256"
  printf '#!/bin/sh\nexec prlimit --nofile=256 %q "$@"\n' "$real" >"$CG_BIN"
  chmod +x "$CG_BIN"
  std_start --workers 1
  assert_eq 62 "$(metric certgate_connections_limit)" "certgate_connections_limit (auto)"
  assert_match "$(cat "$CG_LOG")" 'max_connections=62.*max_connections_source=auto' "start-up log"
  assert_hello alpha.test
}

run_cases "$@"
