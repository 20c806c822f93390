#!/usr/bin/env bash
# An ECDSA and an RSA certificate for one name (dual.ecdsa.pem + dual.rsa.pem in --cert-dir, or two
# secret directories): each handshake gets the one its client supports, ECDSA when it supports both.
# TLS 1.3 decides by signature_algorithms, TLS 1.2 by cipher suites (and signature_algorithms).
source "$(dirname "$0")/lib.sh"

# dual_leaves : $CG_TMP/new/dualec.pem (P-256) and dualrsa.pem (RSA-2048), both for dual.test and
# *.dual.test; CNs cg-dualec and cg-dualrsa.
dual_leaves() {
  leaf_new dualec "DNS:dual.test,DNS:*.dual.test" ec
  leaf_new dualrsa "DNS:dual.test,DNS:*.dual.test" rsa
}

# dual_start [extra args] : upstream + alpha.pem, dual.ecdsa.pem, dual.rsa.pem + certgate.
dual_start() {
  up_start http
  dual_leaves
  CERTS="$CG_TMP/certs"
  cert_install alpha:pem "$CERTS"
  cp "$CG_TMP/new/dualec.pem" "$CERTS/dual.ecdsa.pem"
  cp "$CG_TMP/new/dualrsa.pem" "$CERTS/dual.rsa.pem"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" "$@"
}

# served_to SNI s_client-args... : CN of the certificate served to a client with those options.
served_to() {
  local sni=$1; shift
  timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername "$sni" "$@" </dev/null 2>/dev/null \
    | openssl x509 -noout -subject -nameopt RFC2253 2>/dev/null | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p'
}

# expect_served SNI CN s_client-args...
expect_served() {
  local sni=$1 want=$2; shift 2
  assert_eq "$want" "$(served_to "$sni" "$@")" "certificate for $sni with [${*:-defaults}]"
}

_served_serial_to() {
  local sni=$1; shift
  timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername "$sni" "$@" </dev/null 2>/dev/null \
    | openssl x509 -noout -serial 2>/dev/null | sed -n 's/^serial=//p'
}
_serial_to_is() { local want=$1; shift; [ "$(_served_serial_to "$@")" = "$want" ]; }

case_tls13_by_signature_algorithms() {
  dual_start
  expect_served dual.test cg-dualec
  expect_served dual.test cg-dualec -tls1_3
  expect_served dual.test cg-dualrsa -tls1_3 -sigalgs RSA-PSS+SHA256
  expect_served x.dual.test cg-dualrsa -tls1_3 -sigalgs rsa_pss_rsae_sha384:rsa_pss_rsae_sha256
  # An ECDSA scheme for another curve does not cover the P-256 key in TLS 1.3.
  expect_served dual.test cg-dualrsa -tls1_3 -sigalgs ECDSA+SHA384:RSA-PSS+SHA256
  expect_served dual.test cg-dualec -tls1_3 -sigalgs RSA-PSS+SHA256:ECDSA+SHA256
  # A verifying client gets through either way.
  assert_hello dual.test
}

case_tls12_by_cipher_suite() {
  dual_start
  expect_served dual.test cg-dualrsa -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
  expect_served dual.test cg-dualec -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  expect_served dual.test cg-dualec -tls1_2
  expect_served dual.test cg-dualrsa -tls1_2 -sigalgs RSA+SHA256:RSA-PSS+SHA256
  # A name only one certificate has is served by it, whatever the client prefers.
  expect_served alpha.test cg-alpha -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
}

case_secret_directories() {
  # Two Kubernetes secret mounts for the same name.
  up_start http
  dual_leaves
  CERTS="$CG_TMP/certs"
  mkdir -p "$CERTS"
  kube_secret_dir "$CERTS/dual-rsa" "$CG_TMP/new/dualrsa.crt" "$CG_TMP/new/dualrsa.key"
  kube_secret_dir "$CERTS/dual-ecdsa" "$CG_TMP/new/dualec.crt" "$CG_TMP/new/dualec.key"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS"
  expect_served dual.test cg-dualec
  expect_served dual.test cg-dualrsa -sigalgs RSA-PSS+SHA256
  expect_served dual.test cg-dualrsa -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
  # Without SNI the default's pair is served the same way.
  assert_eq cg-dualec "$(timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -noservername </dev/null 2>/dev/null \
    | openssl x509 -noout -subject -nameopt RFC2253 | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p')" "no SNI, default client"
}

case_check_and_metrics_show_both() {
  admin_init
  dual_start --admin "127.0.0.1:$CG_ADMIN"
  local out
  out=$(timeout 20 "$CG_BIN" check --listen 127.0.0.1:1 --upstream 127.0.0.1:9 --cert-dir "$CERTS" 2>&1) \
    || fail "check failed: $out"
  printf '%s\n' "$out" | sed 's/^/#   | /'
  assert_match "$out" '^dual\.ecdsa names=dual\.test,\*\.dual\.test key=ECDSA-P256 ' "check: the ECDSA certificate's line"
  assert_match "$out" '^dual\.rsa names=dual\.test,\*\.dual\.test key=RSA-2048 ' "check: the RSA certificate's line"
  assert_contains "$out" "dual dual.ecdsa (ECDSA-P256) + dual.rsa (RSA-2048) names=dual.test,*.dual.test" "check: the pair"
  assert_not_contains "$out" "claimed by several certificates" "check: no conflict warning"
  assert_contains "$(cat "$CG_LOG")" "dual dual.ecdsa (ECDSA-P256) + dual.rsa (RSA-2048)" "start-up log names the pair"
  assert_eq "$(cert_not_after_epoch "$CG_TMP/new/dualec.crt")" \
    "$(metric certgate_cert_not_after_timestamp_seconds 'cert="dual.ecdsa"')" "expiry series of the ECDSA certificate"
  assert_eq "$(cert_not_after_epoch "$CG_TMP/new/dualrsa.crt")" \
    "$(metric certgate_cert_not_after_timestamp_seconds 'cert="dual.rsa"')" "expiry series of the RSA certificate"
}

case_reload_replacing_one_keeps_the_other() {
  dual_start
  local ec_serial rsa_serial new_rsa new_ec
  ec_serial=$(cert_serial "$CG_TMP/new/dualec.crt")
  rsa_serial=$(cert_serial "$CG_TMP/new/dualrsa.crt")
  assert_eq "$rsa_serial" "$(_served_serial_to dual.test -sigalgs RSA-PSS+SHA256)" "RSA serial before"
  leaf_new dualrsa2 "DNS:dual.test,DNS:*.dual.test" rsa
  new_rsa=$(cert_serial "$CG_TMP/new/dualrsa2.crt")
  replace_atomic "$CG_TMP/new/dualrsa2.pem" "$CERTS/dual.rsa.pem"
  wait_for 10 _serial_to_is "$new_rsa" dual.test -sigalgs RSA-PSS+SHA256 \
    || fail "new RSA certificate not served within 10 s: $(_served_serial_to dual.test -sigalgs RSA-PSS+SHA256)"
  assert_eq "$new_rsa" "$(_served_serial_to dual.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)" "TLS 1.2 RSA client after the RSA reload"
  assert_eq "$ec_serial" "$(_served_serial_to dual.test)" "ECDSA certificate kept over the RSA reload"
  # And the other way round.
  leaf_new dualec2 "DNS:dual.test,DNS:*.dual.test" ec
  new_ec=$(cert_serial "$CG_TMP/new/dualec2.crt")
  replace_atomic "$CG_TMP/new/dualec2.pem" "$CERTS/dual.ecdsa.pem"
  wait_for 10 _serial_to_is "$new_ec" dual.test || fail "new ECDSA certificate not served within 10 s"
  assert_eq "$new_rsa" "$(_served_serial_to dual.test -sigalgs RSA-PSS+SHA256)" "RSA certificate kept over the ECDSA reload"
  # Removing the RSA one leaves the ECDSA one alone for the name: an RSA-only client then fails.
  rm -f "$CERTS/dual.rsa.pem"
  wait_for 10 _serial_to_is "" dual.test -sigalgs RSA-PSS+SHA256 || fail "RSA certificate still served after removal"
  assert_eq "$new_ec" "$(_served_serial_to dual.test)" "ECDSA certificate after the RSA one was removed"
}

case_same_key_type_still_conflicts() {
  # Two ECDSA certificates for one name: the first by name keeps it, as before; a warning says so.
  up_start http
  leaf_new dupa "DNS:dup.test" ec
  leaf_new dupb "DNS:dup.test" ec
  CERTS="$CG_TMP/certs"
  mkdir -p "$CERTS"
  cp "$CG_TMP/new/dupa.pem" "$CERTS/a.pem"
  cp "$CG_TMP/new/dupb.pem" "$CERTS/b.pem"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS"
  expect_served dup.test cg-dupa
  expect_served dup.test cg-dupa -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  assert_contains "$(cat "$CG_LOG")" "'b' does not get it" "conflict warning"
}

run_cases "$@"
