#!/usr/bin/env bash
# SIGHUP re-reads every certificate source: new certificates are served to new connections, connections
# already established are untouched, and a broken rotation keeps the last good certificates.
# certgate runs with --watch off here so that only the signal can bring the change in (change detection
# has its own tests: test_reload_watch.sh, test_reload_failures.sh, test_reload_load.sh).
source "$(dirname "$0")/lib.sh"

# start_keepalive : one keep-alive connection to alpha.test sending requests until $CG_TMP/stop exists.
start_keepalive() {
  rm -f "$CG_TMP/stop" "$CG_TMP/ka.ready"
  "$PY" "$IT_DIR/keepalive.py" --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" \
    --stopfile "$CG_TMP/stop" --ready "$CG_TMP/ka.ready" >"$CG_TMP/ka.out" 2>&1 &
  KA_PID=$!
  _register_aux "$KA_PID"
  wait_for 10 test -f "$CG_TMP/ka.ready" || fail "keep-alive client never got its first answer: $(cat "$CG_TMP/ka.out")"
}

stop_keepalive() {
  touch "$CG_TMP/stop"
  wait "$KA_PID" || fail "keep-alive connection failed: $(cat "$CG_TMP/ka.out")"
  note "keep-alive: $(cat "$CG_TMP/ka.out")"
}


case_sighup_serves_the_new_certificate_and_keeps_connections() {
  std_start --watch off
  local old new rotated
  old=$(served_serial "$CG_PORT" alpha.test)
  assert_eq "$(cert_serial "$CG_PKI/alpha.crt")" "$old" "serial before rotation"
  start_keepalive
  mkdir -p "$CG_TMP/new"
  cp "$CG_PKI/ca.crt" "$CG_PKI/ca.key" "$CG_TMP/new/"
  pki_leaf "$CG_TMP/new" alpha2 cg-alpha "DNS:alpha.test" ec ca || fail "issuing the new certificate"
  rotated=$(cert_serial "$CG_TMP/new/alpha2.crt")
  cat "$CG_TMP/new/alpha2.crt" "$CG_TMP/new/alpha2.key" > "$CG_TMP/certs/.alpha.pem.tmp"
  mv "$CG_TMP/certs/.alpha.pem.tmp" "$CG_TMP/certs/alpha.pem"
  # Without a signal (and with change detection off) nothing changes.
  assert_eq "$old" "$(served_serial "$CG_PORT" alpha.test)" "serial before SIGHUP"
  kill -HUP "$CG_PID"
  wait_for 5 sh -c "grep -q 'certificate reload finished' '$CG_LOG'" || fail "no reload logged"
  new=$(served_serial "$CG_PORT" alpha.test)
  assert_eq "$rotated" "$new" "serial after SIGHUP"
  assert_contains "$(cat "$CG_LOG")" "certificate replaced" "per-certificate reload log line"
  assert_contains "$(grep 'certificate replaced' "$CG_LOG")" "new_serial=$rotated" "new serial in the log"
  assert_contains "$(grep 'certificate replaced' "$CG_LOG")" "trigger=signal" "trigger in the log"
  assert_hello alpha.test
  sleep 0.3
  stop_keepalive
  assert_match "$(cat "$CG_TMP/ka.out")" 'failures=0' "keep-alive connection across the reload"
}

case_sighup_adds_and_removes_certificates() {
  std_start --watch off
  assert_served other.test cg-alpha
  cert_install other:pem "$CG_TMP/certs"
  rm -f "$CG_TMP/certs/zulu.pem"
  kill -HUP "$CG_PID"
  wait_for 5 sh -c "grep -q 'certificate reload finished' '$CG_LOG'" || fail "no reload logged"
  assert_served other.test cg-other
  assert_served zulu.test cg-alpha
  assert_contains "$(cat "$CG_LOG")" "certificate added" "added logged"
  assert_contains "$(cat "$CG_LOG")" "certificate removed" "removed logged"
}

case_broken_rotation_keeps_the_last_good_certificates() {
  std_start --watch off
  local old
  old=$(served_serial "$CG_PORT" alpha.test)
  start_keepalive
  echo "garbage, not PEM" > "$CG_TMP/certs/alpha.pem"
  kill -HUP "$CG_PID"
  wait_for 5 sh -c "grep -q 'certificate reload failed' '$CG_LOG'" || fail "no failure logged"
  assert_contains "$(grep 'certificate reload failed' "$CG_LOG")" "$CG_TMP/certs/alpha.pem" "failure names the file"
  assert_eq "$old" "$(served_serial "$CG_PORT" alpha.test)" "still the last good certificate"
  assert_hello exact.example.com
  stop_keepalive
  assert_cg_alive "a broken rotation"
}

run_cases "$@"
