#!/usr/bin/env bash
# Client certificates against the bounded rotating root pool (--client-ca, --client-auth, --roots-limit):
# a CA rotation A -> B -> C keeps clients of the previous CA working until their generation is evicted,
# an unchanged reload uses no slot, a broken CA file changes nothing, and every refusal is counted by
# reason. CRLs (--client-crl): revoked clients refused, revocation picked up live, a broken CRL file
# changes nothing, CAs without a CRL are refused and reported.
source "$(dirname "$0")/lib.sh"

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

# install_crl SPEC... : the CRL file becomes one CRL per SPEC, atomically. SPEC is CA[:CLIENT,CLIENT...],
# e.g. A:A2 (CA A's CRL revoking client A2) or B (CA B's CRL revoking nothing).
install_crl() {
  local spec ca clients c revoked; : > "$MT/.crl.tmp"
  for spec in "$@"; do
    ca=${spec%%:*}; clients=""; [ "$spec" != "$ca" ] && clients=${spec#*:}
    revoked=()
    for c in ${clients//,/ }; do revoked+=("$MT/cl$c.crt"); done
    crl_make "$MT/.one.crl" "$MT/ca$ca.crt" "$MT/ca$ca.key" "${revoked[@]}" || fail "making the CRL $spec"
    cat "$MT/.one.crl" >> "$MT/.crl.tmp"
  done
  mv "$MT/.crl.tmp" "$MT/client.crl"
}

# crl_start CRLSPEC... [-- FLAGS] : CAs A and B trusted, the CRL file from the SPECs, certgate started.
crl_start() {
  admin_init
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A B
  local specs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do specs+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  install_crl "${specs[@]}"
  std_start --client-ca "$MT/clientca.pem" --client-crl "$MT/client.crl" "$@"
}

crl_reloads() { metric certgate_client_crl_reloads_total "trigger=\"$1\",result=\"$2\""; }
reason_count() { metric certgate_tls_handshakes_total "reason=\"$1\""; }

case_crl_revoked_client_is_refused_and_counted() {
  crl_start A:A2 B
  local revoked
  revoked=$(reason_count client_cert_revoked)
  assert_eq 200 "$(status A)" "client A (not revoked)"
  assert_eq 200 "$(status B)" "client B (CA B has a CRL revoking nothing)"
  assert_eq 000 "$(status A2)" "client A2 (revoked)"
  wait_for 3 metric_is certgate_tls_handshakes_total 'reason="client_cert_revoked"' $((revoked + 1)) || true
  assert_eq $((revoked + 1)) "$(reason_count client_cert_revoked)" "client_cert_revoked"
  assert_eq 1 "$(crl_reloads startup success)" "start-up CRL load"
  assert_eq 0 "$(crl_reloads signal failure)" "label combinations exist from start-up"
  assert_eq 2 "$(metric certgate_client_crl_lists)" "CRLs loaded"
  assert_eq 1 "$(metric certgate_client_crl_revoked_certificates)" "revoked entries"
  assert_eq 0 "$(metric certgate_client_crl_uncovered_cas)" "trusted CAs without a CRL"
  local fp next
  fp=$(openssl x509 -in "$MT/caA.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
  next=$(metric certgate_client_crl_next_update_timestamp_seconds "issuer_fingerprint=\"$fp\"")
  assert_ne absent "$next" "nextUpdate series of CA A"
  assert_le "$(( $(date +%s) + 6 * 86400 ))" "$next" "CA A's CRL nextUpdate is about 7 days ahead"
  grep 'client CRLs in force' "$CG_LOG" | grep -q "$MT/client.crl" || fail "the load line does not name the CRL file"
}

case_crl_ca_without_crl_is_refused_and_reported() {
  crl_start A
  local unavailable
  unavailable=$(reason_count client_crl_unavailable)
  assert_eq 200 "$(status A)" "client A (its CA has a CRL)"
  assert_eq 000 "$(status B)" "client B (strict: CA B has no CRL)"
  wait_for 3 metric_is certgate_tls_handshakes_total 'reason="client_crl_unavailable"' $((unavailable + 1)) || true
  assert_eq $((unavailable + 1)) "$(reason_count client_crl_unavailable)" "client_crl_unavailable"
  assert_eq 1 "$(metric certgate_client_crl_uncovered_cas)" "trusted CAs without a CRL"
  grep 'has no CRL' "$CG_LOG" | grep -q 'CN=client-ca-B' || fail "no start-up warning naming CA B"
}

case_crl_expired_crl_refuses_its_clients_and_is_reported() {
  admin_init
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A
  CRL_LAST=$(date -u -d '-2 days' +%Y%m%d%H%M%SZ) CRL_NEXT=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ) install_crl A
  std_start --client-ca "$MT/clientca.pem" --client-crl "$MT/client.crl"
  assert_eq 000 "$(status A)" "client A while its CA's CRL is expired"
  wait_for 3 metric_ge certgate_tls_handshakes_total 'reason="client_crl_unavailable"' 1 \
    || fail "not counted as client_crl_unavailable: $(reason_count client_crl_unavailable)"
  grep 'client CRL is expired' "$CG_LOG" | grep -q 'CN=client-ca-A' || fail "no warning about the expired CRL"
  # A fresh CRL brings the clients back, live.
  install_crl A
  wait_for 5 metric_is certgate_client_crl_reloads_total 'trigger="inotify",result="success"' 1 \
    || wait_for 3 metric_ge certgate_client_crl_reloads_total 'result="success"' 2 || fail "the fresh CRL was not loaded"
  wait_for 3 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CG_PKI/ca.crt' --resolve alpha.test:$CG_PORT:127.0.0.1 --cert '$MT/clA.crt' --key '$MT/clA.key' https://alpha.test:$CG_PORT/hello)\" = 200 ]" \
    || fail "client A still refused after a valid CRL arrived"
}

case_crl_revocation_is_picked_up_live() {
  crl_start A B
  assert_eq 200 "$(status A2)" "client A2 before its revocation"
  KA_CERT="$MT/clA2.crt" KA_KEY="$MT/clA2.key" ka_start a2
  local gens_before revoked
  gens_before=$(gens)
  revoked=$(reason_count client_cert_revoked)
  install_crl A:A2 B
  wait_for 5 metric_ge certgate_client_crl_reloads_total 'result="success"' 2 || fail "the new CRL was not loaded"
  assert_eq 000 "$(status A2)" "client A2 after the live revocation (new handshake)"
  assert_eq 200 "$(status A)" "client A after the revocation of A2"
  assert_eq $((revoked + 1)) "$(reason_count client_cert_revoked)" "client_cert_revoked after the live revocation"
  ka_still_works a2 "the revocation of its own certificate (established connections are never touched)"
  ka_stop_all
  assert_eq "$gens_before" "$(gens)" "a CRL change adds no CA generation"
  assert_eq 0 "$(metric certgate_client_ca_reloads_total 'trigger="inotify",result="success"')" "no CA reload counted for a CRL change"
}

case_crl_garbage_file_changes_nothing() {
  crl_start A:A2 B
  assert_eq 000 "$(status A2)" "client A2 (revoked) before the garbage"
  echo "not a CRL" > "$MT/.crl.tmp"; mv "$MT/.crl.tmp" "$MT/client.crl"
  wait_for 3 metric_ge certgate_client_crl_reloads_total 'result="failure"' 1 \
    || fail "the garbage CRL file was not counted as a failure"
  assert_eq 000 "$(status A2)" "client A2 still refused after a garbage CRL file"
  assert_eq 200 "$(status A)" "client A still served"
  assert_eq 1 "$(log_errors 'client CRL reload failed')" "one error line"
  grep 'client CRL reload failed' "$CG_LOG" | grep -q "$MT/client.crl: no CRL found" || fail "the error line does not name the file and the problem"
  # A CRL from a CA that is not trusted is refused the same way.
  crl_make "$MT/.foreign.crl" "$MT/caC.crt" "$MT/caC.key" || fail "making the foreign CRL"
  mv "$MT/.foreign.crl" "$MT/client.crl"
  wait_for 3 sh -c "grep 'client CRL reload failed' '$CG_LOG' | grep -q 'not signed by any CA trusted'" \
    || fail "a CRL of an untrusted CA was not refused with a clear error"
  assert_eq 000 "$(status A2)" "client A2 still refused after a foreign CRL"
  assert_eq 200 "$(status B)" "client B still served after a foreign CRL"
}

case_crl_needs_the_file_at_startup() {
  up_start http
  std_certs "$CG_TMP/certs"
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A
  CG_PORT=$(free_port)
  local out rc=0
  echo garbage > "$CG_TMP/bad.crl"
  out=$("$CG_BIN" run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" \
    --client-ca "$MT/clientca.pem" --client-crl "$CG_TMP/bad.crl" 2>&1) || rc=$?
  assert_eq 1 "$rc" "exit status"
  assert_contains "$out" "--client-crl $CG_TMP/bad.crl: no CRL found" "error names the flag, the file and the problem"
}

case_per_certificate_typo_is_a_configuration_error() {
  # per-certificate itself is served (test_per_certificate.sh); a typo inside an entry is a
  # configuration error naming the file and the key.
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  printf 'listen: 127.0.0.1:%s\nupstream: 127.0.0.1:%s\ncert-dir: %s\nper-certificate:\n  alpha:\n    client-cas: x.pem\n' \
    "$CG_PORT" "$UP_PORT" "$CG_TMP/certs" > "$CG_TMP/c.yaml"
  local out rc=0
  out=$("$CG_BIN" run --config "$CG_TMP/c.yaml" 2>&1) || rc=$?
  assert_eq 1 "$rc" "unknown key: exit status"
  assert_contains "$out" "$CG_TMP/c.yaml: key 'per-certificate.alpha': unknown key 'client-cas'" "unknown key: error"
  port_closed "$CG_PORT" || fail "something listens on $CG_PORT"
}

run_cases "$@"
