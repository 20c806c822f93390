#!/usr/bin/env bash
# Session ticket keys (--ticket-keys, --ticket-lifetime, --no-tickets): two instances sharing one key file
# resume each other's sessions with TLS 1.3 and 1.2; rotation with the old key on line 2 keeps old tickets
# working, dropping it gives a full handshake; a bad file on reload keeps the keys in use.
source "$(dirname "$0")/lib.sh"

newkey() { head -c 80 /dev/urandom | base64 -w0; echo; }

# sess_new PORT VERSION FILE : a full handshake for alpha.test, its session (with ticket) saved to FILE.
# stdin stays open a moment so that s_client reads the TLS 1.3 tickets that follow the handshake.
sess_new() {
  local out
  out=$( (sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername alpha.test "-$2" \
    -sess_out "$3" 2>&1) || fail "s_client -sess_out on port $1 ($2) failed: $(echo "$out" | tail -n 3)"
  assert_match "$out" '^New, TLSv1' "first handshake on port $1 ($2)"
  [ -s "$3" ] || fail "no session saved from port $1"
}

# sess_try PORT VERSION FILE : resume FILE's session on PORT; prints Reused or New (s_client must succeed).
sess_try() {
  local out
  out=$( (sleep 0.3) | timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername alpha.test "-$2" \
    -sess_in "$3" 2>&1) || fail "s_client -sess_in on port $1 ($2) failed: $(echo "$out" | tail -n 3)"
  echo "$out" | grep -oE '^(Reused|New), TLSv1\.[23]' | cut -d, -f1
}

assert_resumes() { assert_eq "${4:-Reused}" "$(sess_try "$1" "$2" "$3")" "${5:-session from $3 on port $1 ($2)}"; }

# Two instances A ($PORT_A) and B ($CG_PORT, with admin) on $CG_TMP/ticket.keys.
two_instances() {
  umask 077 # the key files written below, and their replacements, are private
  newkey >"$CG_TMP/ticket.keys"
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --ticket-keys "$CG_TMP/ticket.keys" "$@"
  PORT_A=$CG_PORT; LOG_A=$CG_LOG
  CG_PORT=""; admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --ticket-keys "$CG_TMP/ticket.keys" \
    --admin "127.0.0.1:$CG_ADMIN" "$@"
}

key_reloads() { metric certgate_tls_ticket_key_reloads_total "result=\"$1\""; }

# reload_b : SIGHUP to B and wait until its ticket-key reload counters moved.
reload_b() {
  local before
  before=$(( $(key_reloads success) + $(key_reloads failure) + $(key_reloads unchanged) ))
  kill -HUP "$CG_PID"
  wait_for 10 _reloaded_past "$before" || fail "no ticket key reload after SIGHUP"
}
_reloaded_past() { [ $(( $(key_reloads success) + $(key_reloads failure) + $(key_reloads unchanged) )) -gt "$1" ]; }

case_replicas_resume_each_other_tls13_and_tls12() {
  two_instances
  local v
  for v in tls1_3 tls1_2; do
    sess_new "$PORT_A" "$v" "$CG_TMP/$v.sess"
    assert_resumes "$CG_PORT" "$v" "$CG_TMP/$v.sess"
    assert_resumes "$PORT_A" "$v" "$CG_TMP/$v.sess"
  done
  assert_ge "$(metric certgate_tls_resumptions_total)" 2 "resumptions counted on B"
  # A resumed TLS 1.3 connection gets a fresh ticket, as with OpenSSL's own keys (tlsfuzzer's
  # test-tls13-session-resumption expects it).
  local tickets
  tickets=$( (sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_3 \
    -sess_in "$CG_TMP/tls1_3.sess" -msg 2>&1 | grep -c 'NewSessionTicket')
  assert_eq 1 "$tickets" "NewSessionTicket messages after a TLS 1.3 resumption"
  assert_eq 1 "$(metric certgate_tls_ticket_keys)" "keys loaded on B"
}

case_rotation_keeps_old_tickets_until_the_old_key_is_dropped() {
  two_instances --watch off # SIGHUP only: each reload below is the signal's
  local old v
  old=$(cat "$CG_TMP/ticket.keys")
  for v in tls1_3 tls1_2; do sess_new "$PORT_A" "$v" "$CG_TMP/$v.sess"; done
  # Rotation: a new key on top, the old one on line 2.
  { newkey; echo "$old"; } >"$CG_TMP/ticket.new" && mv "$CG_TMP/ticket.new" "$CG_TMP/ticket.keys"
  reload_b
  assert_eq 2 "$(metric certgate_tls_ticket_keys)" "keys loaded on B after the rotation"
  for v in tls1_3 tls1_2; do assert_resumes "$CG_PORT" "$v" "$CG_TMP/$v.sess"; done
  # The old key dropped: a full handshake, no error.
  head -n 1 "$CG_TMP/ticket.keys" >"$CG_TMP/ticket.new" && mv "$CG_TMP/ticket.new" "$CG_TMP/ticket.keys"
  reload_b
  local failures; failures=$(metric certgate_tls_handshakes_total 'result="failure"')
  assert_eq 1 "$(metric certgate_tls_ticket_keys)" "keys loaded on B after dropping the old key"
  for v in tls1_3 tls1_2; do assert_resumes "$CG_PORT" "$v" "$CG_TMP/$v.sess" New "old $v ticket after the drop"; done
  assert_eq "$failures" "$(metric certgate_tls_handshakes_total 'result="failure"')" "failed handshakes on B"
  assert_eq 0 "$(grep -c "readable by every user" "$CG_LOG")" "warnings about a private key file"
}

case_the_file_is_watched_by_stat() {
  two_instances --watch stat --stat-interval 100ms
  watched
}

case_the_file_is_watched_by_inotify() {
  two_instances --watch inotify
  watched
}

watched() {
  sess_new "$PORT_A" tls1_3 "$CG_TMP/s.sess"
  # Replaced without any signal: B finds the change with its stat() check.
  newkey >"$CG_TMP/ticket.new" && mv "$CG_TMP/ticket.new" "$CG_TMP/ticket.keys"
  wait_for 5 metric_is certgate_tls_ticket_key_reloads_total 'result="success"' 1 || fail "no reload after the file changed"
  assert_resumes "$CG_PORT" tls1_3 "$CG_TMP/s.sess" New "a ticket under a key no longer in the file"
}

case_a_bad_file_on_reload_keeps_the_keys() {
  two_instances --watch off # SIGHUP only: exactly one reload sees the bad file
  sess_new "$PORT_A" tls1_2 "$CG_TMP/s.sess"
  { head -n 1 "$CG_TMP/ticket.keys"; echo 'c2hvcnQ='; } >"$CG_TMP/ticket.new" && mv "$CG_TMP/ticket.new" "$CG_TMP/ticket.keys"
  reload_b
  assert_eq 1 "$(key_reloads failure)" "failed ticket key reloads"
  assert_eq 1 "$(grep -c "ticket key reload failed" "$CG_LOG")" "error lines"
  assert_contains "$(grep "ticket key reload failed" "$CG_LOG")" "$CG_TMP/ticket.keys line 2" "error (file and line)"
  assert_resumes "$CG_PORT" tls1_2 "$CG_TMP/s.sess" Reused "the keys in use stayed"
  assert_cg_alive "a bad ticket key file"
}

case_keys_never_appear_and_a_world_readable_file_is_warned_about() {
  install -m 0644 /dev/null "$CG_TMP/open.keys"
  newkey >>"$CG_TMP/open.keys"; newkey >>"$CG_TMP/open.keys"
  admin_init
  std_start --ticket-keys "$CG_TMP/open.keys"
  assert_eq 1 "$(grep -c "readable by every user" "$CG_LOG")" "world-readable warnings"
  assert_contains "$(grep "readable by every user" "$CG_LOG")" "$CG_TMP/open.keys" "warning (names the file)"
  local out k
  out=$("$CG_BIN" check --listen 127.0.0.1:2 --upstream 127.0.0.1:1 --cert-dir "$CG_TMP/certs" --ticket-keys "$CG_TMP/open.keys" 2>&1) \
    || fail "check failed: $out"
  assert_contains "$out" "ticket key file $CG_TMP/open.keys: 2 keys" "check output"
  kill -HUP "$CG_PID"
  wait_for 10 metric_is certgate_tls_ticket_key_reloads_total 'result="unchanged"' 1 || fail "no reload"
  local metrics; metrics=$(admin_get /metrics)
  while read -r k; do
    # The whole key, and each part of it (name, HMAC secret, AES key) in base64 or hex.
    local hex; hex=$(echo "$k" | base64 -d | od -An -tx1 | tr -d ' \n')
    for needle in "$k" "${k:0:20}" "${hex:0:32}" "${hex:32:64}" "${hex:96:64}"; do
      assert_not_contains "$(cat "$CG_LOG")" "$needle" "log"
      assert_not_contains "$metrics" "$needle" "metrics"
      assert_not_contains "$out" "$needle" "check output"
    done
  done <"$CG_TMP/open.keys"
}

case_random_keys_without_the_flag() {
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  local port_a=$CG_PORT
  CG_PORT=""; admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN"
  sess_new "$port_a" tls1_3 "$CG_TMP/s.sess"
  assert_resumes "$port_a" tls1_3 "$CG_TMP/s.sess" Reused "on the instance that issued it"
  assert_resumes "$CG_PORT" tls1_3 "$CG_TMP/s.sess" New "on another instance (its own random keys)"
  assert_eq 1 "$(metric certgate_tls_ticket_keys)" "random keys"
}

case_random_keys_rotate_with_the_lifetime() {
  admin_init
  std_start --ticket-lifetime 1s
  sess_new "$CG_PORT" tls1_2 "$CG_TMP/s.sess"
  wait_for 5 metric_ge certgate_tls_ticket_key_reloads_total 'result="success"' 1 || fail "no rotation"
  assert_eq 2 "$(metric certgate_tls_ticket_keys)" "keys after a rotation (new and previous)"
}

case_no_tickets() {
  admin_init
  std_start --no-tickets
  local out
  out=$( (sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_2 \
    -sess_out "$CG_TMP/s.sess" 2>&1) || fail "s_client failed"
  assert_not_contains "$out" "TLS session ticket:" "TLS 1.2 ServerHello extensions (no ticket issued)"
  assert_eq 0 "$(metric certgate_tls_ticket_keys)" "keys with tickets off"
}

run_cases "$@"
