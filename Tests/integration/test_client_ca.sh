#!/usr/bin/env bash
# Client certificates against the bounded rotating root pool (--client-ca, --client-auth, --roots-limit):
# a CA rotation A -> B -> C keeps clients of the previous CA working until their generation is evicted,
# an unchanged reload uses no slot, a broken CA file changes nothing, and every refusal is counted by
# reason.
source "$(dirname "$0")/lib.sh"

# mtls_pki DIR : CAs A, B, C and one client certificate from each (clA.crt/.key ...).
mtls_pki() {
  local d=$1 c
  mkdir -p "$d"
  for c in A B C; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -keyout "$d/ca$c.key" \
      -out "$d/ca$c.crt" -subj "/CN=client-ca-$c" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign 2>/dev/null || return 1
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl$c.key" \
      -out "$d/cl$c.csr" -subj "/CN=client-$c" 2>/dev/null || return 1
    printf 'extendedKeyUsage=clientAuth\n' > "$d/ext"
    openssl x509 -req -in "$d/cl$c.csr" -CA "$d/ca$c.crt" -CAkey "$d/ca$c.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 10 -extfile "$d/ext" -out "$d/cl$c.crt" 2>/dev/null || return 1
  done
}

# status [CLIENT] : HTTP status of one request with client certificate CLIENT (A, B, C) or none; 000 = refused.
status() {
  local cert=()
  [ -n "${1:-}" ] && cert=(--cert "$MT/cl$1.crt" --key "$MT/cl$1.key")
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" \
    "${cert[@]}" "https://alpha.test:$CG_PORT/hello" || true
}

# install_ca NAME... : the client-CA file becomes the bundle of these CAs (atomic rename).
install_ca() {
  local n; : > "$MT/.bundle.tmp"
  for n in "$@"; do cat "$MT/ca$n.crt" >> "$MT/.bundle.tmp"; done
  mv "$MT/.bundle.tmp" "$MT/clientca.pem"
}

mt_start() {
  admin_init
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A
  std_start --client-ca "$MT/clientca.pem" "$@"
}

gens() { metric certgate_client_ca_generations; }

case_rotation_a_b_c_keeps_the_previous_ca() {
  mt_start
  assert_eq 200 "$(status A)" "client A with CA A"
  assert_eq 000 "$(status B)" "client B before CA B"
  assert_eq 000 "$(status)" "no client certificate (require is the default with --client-ca)"
  install_ca B
  wait_for 3 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CG_PKI/ca.crt' --resolve alpha.test:$CG_PORT:127.0.0.1 --cert '$MT/clB.crt' --key '$MT/clB.key' https://alpha.test:$CG_PORT/hello)\" = 200 ]" \
    || fail "client B not accepted after the rotation to CA B"
  assert_eq 200 "$(status A)" "client A after the rotation to B (previous generation)"
  assert_eq 2 "$(gens)" "generations after A -> B"
  install_ca C
  wait_for 3 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CG_PKI/ca.crt' --resolve alpha.test:$CG_PORT:127.0.0.1 --cert '$MT/clC.crt' --key '$MT/clC.key' https://alpha.test:$CG_PORT/hello)\" = 200 ]" \
    || fail "client C not accepted after the rotation to CA C"
  assert_eq 200 "$(status B)" "client B after the rotation to C"
  assert_eq 000 "$(status A)" "client A after its generation was evicted"
  assert_eq 2 "$(gens)" "generations after A -> B -> C (limit 2)"
  assert_eq 1 "$(metric certgate_client_ca_evictions_total)" "evictions"
  assert_eq 2 "$(metric certgate_client_ca_certificates)" "trusted CAs"
  assert_eq 1 "$(metric certgate_client_ca_reloads_total 'trigger="startup",result="success"')" "start-up load"
  assert_eq 3 "$(metric certgate_client_ca_reloads_total 'result="success"')" "successful client-CA loads (start-up, B, C)"
}

case_unchanged_reload_uses_no_slot() {
  mt_start --watch off
  install_ca B
  kill -HUP "$CG_PID"
  wait_for 3 metric_is certgate_client_ca_generations "" 2 || fail "CA B did not enter"
  # The same bundle rewritten, then SIGHUP twice: no new generation, A stays trusted.
  install_ca B
  kill -HUP "$CG_PID"
  wait_for 3 metric_is certgate_client_ca_reloads_total 'trigger="signal",result="unchanged"' 1 \
    || fail "the first unchanged reload was not counted: $(metric certgate_client_ca_reloads_total 'trigger="signal"')"
  kill -HUP "$CG_PID"
  wait_for 3 metric_is certgate_client_ca_reloads_total 'trigger="signal",result="unchanged"' 2 \
    || fail "the second unchanged reload was not counted: $(metric certgate_client_ca_reloads_total 'trigger="signal"')"
  assert_eq 2 "$(gens)" "generations after unchanged reloads"
  assert_eq 200 "$(status A)" "client A still trusted"
  assert_eq 200 "$(status B)" "client B trusted"
}

case_garbage_ca_file_changes_nothing() {
  mt_start
  echo "not a certificate" > "$MT/.bundle.tmp"; mv "$MT/.bundle.tmp" "$MT/clientca.pem"
  wait_for 3 metric_is certgate_client_ca_reloads_total 'result="failure"' 1 \
    || fail "the broken CA file was not counted as a failure"
  assert_eq 1 "$(gens)" "generations after a garbage CA file"
  assert_eq 200 "$(status A)" "client A after a garbage CA file"
  assert_eq 1 "$(grep -c 'client CA reload failed' "$CG_LOG")" "error lines"
  grep 'client CA reload failed' "$CG_LOG" | grep -q "$MT/clientca.pem" || fail "the error line does not name the file"
}

case_optional_mode_lets_clients_without_a_certificate_in() {
  mt_start --client-auth optional
  assert_eq 200 "$(status)" "no client certificate in optional mode"
  assert_eq 200 "$(status A)" "client A in optional mode"
  assert_eq 000 "$(status B)" "client B (untrusted) in optional mode"
}

case_refusals_counted_by_reason() {
  mt_start
  local missing untrusted
  missing=$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')
  untrusted=$(metric certgate_tls_handshakes_total 'reason="client_cert_untrusted"')
  status >/dev/null
  status B >/dev/null
  wait_for 3 metric_is certgate_tls_handshakes_total 'reason="client_cert_missing"' $((missing + 1)) || true
  assert_eq $((missing + 1)) "$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')" "client_cert_missing"
  wait_for 3 metric_is certgate_tls_handshakes_total 'reason="client_cert_untrusted"' $((untrusted + 1)) || true
  assert_eq $((untrusted + 1)) "$(metric certgate_tls_handshakes_total 'reason="client_cert_untrusted"')" "client_cert_untrusted"
}

case_missing_ca_file_is_a_startup_error() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  local out rc=0
  out=$("$CG_BIN" run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" \
    --client-ca "$CG_TMP/nope.pem" 2>&1) || rc=$?
  assert_eq 1 "$rc" "exit status"
  assert_contains "$out" "$CG_TMP/nope.pem" "error names the file"
}

case_allow_cn_refuses_other_verified_clients() {
  admin_init
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A B
  std_start --client-ca "$MT/clientca.pem" --allow-cn client-A
  local denied
  denied=$(metric certgate_tls_handshakes_total 'reason="client_cert_denied"')
  assert_eq 200 "$(status A)" "client A (on the allow-list)"
  assert_eq 000 "$(status B)" "client B (verified, not on the allow-list)"
  wait_for 3 metric_is certgate_tls_handshakes_total 'reason="client_cert_denied"' $((denied + 1)) || true
  assert_eq $((denied + 1)) "$(metric certgate_tls_handshakes_total 'reason="client_cert_denied"')" "client_cert_denied"
  assert_eq 000 "$(status C)" "client C (untrusted CA)"
}

run_cases "$@"
