#!/usr/bin/env bash
# Hot certificate reload under load: clients opening new connections in a loop and long-lived keep-alive
# connections while a certificate is rotated every 150-300 ms. Zero client errors, every keep-alive
# connection still answering at the end, no failed reload.
source "$(dirname "$0")/lib.sh"
# case-timeout: 90

ROTATIONS=${CG_RELOAD_ROTATIONS:-60}

case_rotations_under_load() {
  admin_init
  up_start http
  local certs="$CG_TMP/certs"
  cert_install alpha:pem exact:pem "$certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$certs" --admin "127.0.0.1:$CG_ADMIN"
  local i
  for i in 0 1 2; do leaf_new "rot$i" "DNS:alpha.test"; done
  # Keep-alive connections, all opened before the first rotation: two on the rotated name, two on the other.
  ka_start ka1 alpha.test; ka_start ka2 alpha.test
  ka_start ka3 exact.example.com; ka_start ka4 exact.example.com
  # New connections in a loop (full handshake verified against the CA for alpha.test each time).
  rm -f "$CG_TMP/churn.stop"
  "$PY" "$CLIENT_PY" churn --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --threads 4 \
    --stopfile "$CG_TMP/churn.stop" --ready "$CG_TMP/churn.ready" --max-seconds 75 >"$CG_TMP/churn.out" 2>&1 &
  local churn=$!
  _register_aux "$churn"
  wait_for 10 test -f "$CG_TMP/churn.ready" || fail "the new-connection clients got no answer: $(cat "$CG_TMP/churn.out")"
  local t0 last
  t0=$(now_ms)
  for i in $(seq 1 "$ROTATIONS"); do
    replace_atomic "$CG_TMP/new/rot$((i % 3)).pem" "$certs/alpha.pem"
    sleep "0.$((15 + RANDOM % 16))"
  done
  local rot_ms=$(( $(now_ms) - t0 ))
  last=$(cert_serial "$CG_TMP/new/rot$((ROTATIONS % 3)).crt")
  wait_serial 3 alpha.test "$last"
  for i in ka1 ka2 ka3 ka4; do ka_still_works "$i" "$ROTATIONS rotations"; done
  touch "$CG_TMP/churn.stop"
  local rc=0; wait "$churn" || rc=$?
  local churn_line; churn_line=$(head -n 1 "$CG_TMP/churn.out")
  note "churn: $(cat "$CG_TMP/churn.out")"
  [ $rc -eq 0 ] || fail "new-connection clients saw errors (status $rc): $(cat "$CG_TMP/churn.out")"
  assert_match "$churn_line" '^requests=[0-9]+ errors=0 ' "new-connection clients"
  local requests serials
  requests=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' <<<"$churn_line")
  serials=$(sed -n 's/.* serials=\([0-9]*\) .*/\1/p' <<<"$churn_line")
  assert_ge "$requests" 100 "requests on new connections during the rotations"
  assert_eq 4 "$serials" "distinct certificates the new connections were served (the original + 3 rotated)"
  local replaced reload_ok
  replaced=$(log_count 'certificate replaced cert=alpha ')
  reload_ok=$(( $(reloads inotify success) + $(reloads stat success) ))
  assert_ge "$replaced" $(( ROTATIONS / 3 )) "'certificate replaced cert=alpha' lines"
  assert_eq "$replaced" "$reload_ok" "successful reloads (inotify + stat)"
  local t
  for t in inotify stat timer; do
    assert_eq 0 "$(reloads "$t" failure)" "certgate_cert_reloads_total{trigger=$t,result=failure}"
  done
  assert_eq 0 "$(log_errors "")" "error lines in the log"
  assert_eq 1 "$(metric certgate_cert_last_reload_successful)" "certgate_cert_last_reload_successful"
  assert_eq "$(cert_serial "$CG_PKI/exact.crt")" "$(served_serial "$CG_PORT" exact.example.com)" "serial for exact.example.com (never rotated)"
  ka_stop_all
  local ka_total=0
  for i in ka1 ka2 ka3 ka4; do ka_total=$(( ka_total + $(ka_count "$i") )); done
  note "load summary: $ROTATIONS rotations in $rot_ms ms; $replaced reloads applied a new certificate;" \
    "new connections: $requests requests, 0 errors, $serials distinct certificates seen;" \
    "keep-alive: 4 connections, $ka_total requests, 0 failures"
}

run_cases "$@"
