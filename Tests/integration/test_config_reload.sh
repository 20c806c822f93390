#!/usr/bin/env bash
# Configuration reload without a restart (SIGHUP, POST /reload): the config file is re-read; settings a
# reload can change (timeouts, allow-lists, log level, ...) apply to new connections while open ones run
# on untouched; a changed listen address is reported as needing a restart and the running one is kept; a
# broken file changes nothing and is reported. Every case checks the /reload JSON and the metrics.
source "$(dirname "$0")/lib.sh"
# case-timeout: 90

# cr_write FILE EXTRA_YAML : a complete configuration (listen, upstream, admin, certificates, the client CA
# file of $MT) plus EXTRA_YAML lines.
cr_write() {
  {
    printf 'listen: 127.0.0.1:%s\nupstream: 127.0.0.1:%s\nadmin: 127.0.0.1:%s\ncert-dir: %s\n' \
      "$CG_PORT" "$UP_PORT" "$CG_ADMIN" "$CG_TMP/certs"
    printf 'client-ca: %s\nclient-auth: optional\n' "$MT/clientca.pem"
    printf '%b' "$2"
  } > "$1.tmp"
  mv "$1.tmp" "$1"
}

# cr_start EXTRA_YAML [FLAGS] : upstream, certificates, client PKI (CAs A and B trusted), certgate --config.
cr_start() {
  local extra=$1; shift
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A B
  CG_PORT=$(free_port)
  CONF="$CG_TMP/certgate.yaml"
  cr_write "$CONF" "$extra"
  cg_launch run --config "$CONF" "$@"
}

# silent_drop_ms : how long certgate keeps a client that connects and sends nothing (the handshake timeout).
silent_drop_ms() {
  local t0; t0=$(now_ms)
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind silent --expect-close 15 >/dev/null 2>&1 \
    || fail "a silent client was not dropped within 15 s"
  echo $(( $(now_ms) - t0 ))
}

# reload_json : POST /reload; prints the JSON body (and checks the status is 200).
reload_json() {
  assert_eq 200 "$(admin_req POST /reload)" "POST /reload status ($(cat "$CG_TMP/admin.body"))" >&2
  cat "$CG_TMP/admin.body"
}

jq_py() { "$PY" -c 'import json,sys; r=json.load(sys.stdin); v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1"; }

case_timeout_and_allow_list_change_under_load() {
  cr_start 'handshake-timeout: 6s\nallow-cn: [client-A]\n'
  assert_eq 200 "$(status A)" "client A (allowed) before the reload"
  assert_eq 000 "$(status B)" "client B (not allowed) before the reload"
  # Load that must not notice the reload: keep-alive connections (one with client A's certificate) and
  # new connections in a loop.
  ka_start ka1
  KA_CERT="$MT/clA.crt" KA_KEY="$MT/clA.key" ka_start ka2
  rm -f "$CG_TMP/churn.stop"
  "$PY" "$CLIENT_PY" churn --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --threads 2 \
    --stopfile "$CG_TMP/churn.stop" --ready "$CG_TMP/churn.ready" --max-seconds 60 >"$CG_TMP/churn.out" 2>&1 &
  local churn=$!
  _register_aux "$churn"
  wait_for 10 test -f "$CG_TMP/churn.ready" || fail "the new-connection clients got no answer: $(cat "$CG_TMP/churn.out")"

  cr_write "$CONF" 'handshake-timeout: 1s\nallow-cn: [client-B]\nlog-level: debug\n'
  local out
  out=$(reload_json)
  note "reload: $out"
  assert_eq success "$(jq_py "r['configuration']['result']" <<<"$out")" "configuration result"
  assert_eq '["handshake-timeout", "log-level", "allow-cn"]' "$(jq_py "r['configuration']['applied']" <<<"$out")" "applied settings"
  assert_eq '[]' "$(jq_py "r['configuration']['restart_required']" <<<"$out")" "settings needing a restart"
  assert_eq 000 "$(status A)" "client A (no longer allowed) after the reload"
  assert_eq 200 "$(status B)" "client B (now allowed) after the reload"
  local ms; ms=$(silent_drop_ms)
  note "silent client dropped after $ms ms (handshake-timeout 1s)"
  [ "$ms" -lt 4000 ] || fail "the new handshake timeout (1s) did not apply: dropped after $ms ms"
  grep -q ' debug ' "$CG_LOG" || fail "log-level: debug did not apply (no debug line in the log)"
  ka_still_works ka1 "the configuration reload"
  ka_still_works ka2 "the configuration reload (client A's connection opened before allow-cn changed)"
  touch "$CG_TMP/churn.stop"
  local rc=0; wait "$churn" || rc=$?
  note "churn: $(cat "$CG_TMP/churn.out")"
  [ $rc -eq 0 ] || fail "new-connection clients saw errors (status $rc): $(cat "$CG_TMP/churn.out")"
  assert_match "$(head -n 1 "$CG_TMP/churn.out")" '^requests=[0-9]+ errors=0 ' "new-connection clients"
  ka_stop_all
  assert_eq 1 "$(metric certgate_config_reloads_total 'result="success"')" "certgate_config_reloads_total{result=success}"
  assert_eq 1 "$(metric certgate_config_last_reload_successful)" "certgate_config_last_reload_successful"
  # SIGHUP re-reads the file too: back to 6s.
  cr_write "$CONF" 'handshake-timeout: 6s\nallow-cn: [client-B]\n'
  kill -HUP "$CG_PID"
  wait_for 5 metric_is certgate_config_reloads_total 'result="success"' 2 \
    || fail "SIGHUP did not reload the configuration: $(metric certgate_config_reloads_total 'result="success"')"
  ms=$(silent_drop_ms)
  [ "$ms" -ge 4000 ] || fail "after SIGHUP the handshake timeout should be 6s again: dropped after $ms ms"
}

case_listen_change_needs_restart() {
  cr_start ''
  local old=$CG_PORT new out
  new=$(free_port)
  CG_PORT=$new cr_write "$CONF" 'connect-timeout: 2s\nworkers: 3\n'
  out=$(reload_json)
  note "reload: $out"
  assert_eq success "$(jq_py "r['configuration']['result']" <<<"$out")" "configuration result"
  assert_eq '["listen", "workers"]' "$(jq_py "r['configuration']['restart_required']" <<<"$out")" "settings needing a restart"
  assert_eq '["connect-timeout"]' "$(jq_py "r['configuration']['applied']" <<<"$out")" "applied settings"
  grep -F 'listen' "$CG_LOG" | grep -qi 'restart' || fail "no log line says that the listen change needs a restart"
  port_open "$old" || fail "the running listen address $old was closed"
  port_closed "$new" || fail "certgate listens on the new address $new without a restart"
  assert_hello alpha.test
  assert_eq 2 "$(metric certgate_config_restart_pending_settings)" "certgate_config_restart_pending_settings"
}

case_bad_file_changes_nothing() {
  # Watching off: the certificate added below is found by the reload the admin request triggers.
  cr_start 'allow-cn: [client-A]\nwatch: off\n'
  cert_install other:pem "$CG_TMP/certs"
  printf 'listen: [\n' > "$CONF"
  local out
  assert_eq 422 "$(admin_req POST /reload)" "POST /reload with a broken config file"
  out=$(cat "$CG_TMP/admin.body")
  note "reload: $out"
  assert_eq failure "$(jq_py "r['configuration']['result']" <<<"$out")" "configuration result"
  assert_contains "$(jq_py "r['configuration']['error']" <<<"$out")" "$CONF" "the error names the file"
  assert_eq success "$(jq_py "r['result']" <<<"$out")" "the certificate reload still ran (a certificate was added)"
  assert_eq 6 "$(jq_py "r['certificates']" <<<"$out")" "certificates served after the reload"
  assert_eq 200 "$(status A)" "client A still allowed (nothing changed)"
  assert_eq 000 "$(status B)" "client B still refused (nothing changed)"
  assert_eq 1 "$(metric certgate_config_reloads_total 'result="failure"')" "certgate_config_reloads_total{result=failure}"
  assert_eq 0 "$(metric certgate_config_last_reload_successful)" "certgate_config_last_reload_successful"
  grep -F "$CONF" "$CG_LOG" | grep -q ' error ' || fail "no error line naming the config file"
  # An invalid value (not a syntax error) is refused the same way, naming the key.
  cr_write "$CONF" 'allow-cn: [client-B]\nwatch: off\nconnect-timeout: 0s\n'
  assert_eq 422 "$(admin_req POST /reload)" "POST /reload with an invalid value"
  assert_contains "$(cat "$CG_TMP/admin.body")" "connect-timeout" "the error names the key"
  assert_eq 000 "$(status B)" "client B still refused"
  # Fixed: applies.
  cr_write "$CONF" 'allow-cn: [client-B]\nwatch: off\n'
  assert_eq 200 "$(admin_req POST /reload)" "POST /reload with the file fixed"
  assert_eq 200 "$(status B)" "client B allowed once the file is fixed"
  assert_eq 1 "$(metric certgate_config_last_reload_successful)" "certgate_config_last_reload_successful"
}

# handshake_ok ARGS... : an s_client handshake (SNI alpha.test) with ARGS succeeds.
handshake_ok() { tls_try "$CG_TMP/hs" -connect "127.0.0.1:$CG_PORT" -servername alpha.test "$@"; }

case_groups_change_live() {
  cr_start 'groups: X25519:P-256\n'
  handshake_ok -tls1_3 -groups P-256 || fail "P-256 refused with groups: X25519:P-256: $(head -n 3 "$CG_TMP/hs")"
  cr_write "$CONF" 'groups: X25519\n'
  local out
  out=$(reload_json)
  note "reload: $out"
  assert_eq '["groups"]' "$(jq_py "r['configuration']['applied']" <<<"$out")" "applied settings"
  ! handshake_ok -tls1_3 -groups P-256 || fail "P-256 still accepted after the reload to groups: X25519"
  handshake_ok -tls1_3 -groups X25519 || fail "X25519 refused after the reload: $(head -n 3 "$CG_TMP/hs")"
  # A group OpenSSL does not know: the reload fails, naming it, and the running groups stay.
  cr_write "$CONF" 'groups: X25519:P-999\n'
  assert_eq 422 "$(admin_req POST /reload)" "POST /reload with an unknown group"
  assert_contains "$(cat "$CG_TMP/admin.body")" "P-999" "the error names the group"
  ! handshake_ok -tls1_3 -groups P-256 || fail "P-256 accepted after the failed reload"
  handshake_ok -tls1_3 -groups X25519 || fail "X25519 refused after the failed reload"
}

case_unchanged_file_is_unchanged() {
  cr_start ''
  local out
  out=$(reload_json)
  assert_eq unchanged "$(jq_py "r['configuration']['result']" <<<"$out")" "configuration result"
  assert_eq 1 "$(metric certgate_config_reloads_total 'result="unchanged"')" "certgate_config_reloads_total{result=unchanged}"
}

run_cases "$@"
