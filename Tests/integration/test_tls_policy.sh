#!/usr/bin/env bash
# TLS defaults: 1.2 minimum, ECDHE + AEAD only for 1.2, server preference, no compression, no
# renegotiation; --min-tls, --ciphers, --ciphersuites, --groups. Where a refusal could also come from the client
# itself, a control run against `openssl s_server` proves the client really offers what is refused.
source "$(dirname "$0")/lib.sh"

# control_server ARGS... : an openssl s_server on CTRL_PORT with the alpha certificate (zulu for SNI zulu.test).
control_server() {
  CTRL_PORT=$(free_port)
  openssl s_server -accept "127.0.0.1:$CTRL_PORT" -cert "$CG_PKI/alpha.crt" -key "$CG_PKI/alpha.key" \
    -servername zulu.test -cert2 "$CG_PKI/zulu.crt" -key2 "$CG_PKI/zulu.key" -www "$@" </dev/null >"$CG_TMP/s_server.log" 2>&1 &
  _register_aux $!
  wait_port "$CTRL_PORT" 10 $! || fail "control s_server did not start: $(cat "$CG_TMP/s_server.log")"
}

# accepts PORT SNI ARGS... : handshake must succeed; sets PROTO, CIPHER and GROUP (the key exchange)
accepts() {
  local port=$1 sni=$2; shift 2
  tls_try "$CG_TMP/hs" -connect "127.0.0.1:$port" -servername "$sni" "$@" \
    || fail "handshake with [$*] on port $port was refused: $(grep -v '^depth\|^verify' "$CG_TMP/hs" | head -n 5)"
  PROTO=$(sed -n 's/^Protocol version: //p' "$CG_TMP/hs")
  CIPHER=$(sed -n 's/^Ciphersuite: //p' "$CG_TMP/hs")
  GROUP=$(sed -n 's/^Server Temp Key: //p' "$CG_TMP/hs")
  note "ok: [$*] accepted: $PROTO $CIPHER ($GROUP)"
}

# refuses PORT SNI ARGS... : handshake must fail
refuses() {
  local port=$1 sni=$2; shift 2
  if tls_try "$CG_TMP/hs" -connect "127.0.0.1:$port" -servername "$sni" "$@"; then
    fail "handshake with [$*] was accepted: $(grep -E '^(Protocol version|Ciphersuite)' "$CG_TMP/hs" | tr '\n' ' ')"
  fi
  note "ok: [$*] refused: $(grep -iE 'alert|error' "$CG_TMP/hs" | head -n 1)"
}

case_tls11_refused() {
  control_server -cipher 'ALL:@SECLEVEL=0'
  accepts "$CTRL_PORT" alpha.test -tls1_1 -cipher 'ALL:@SECLEVEL=0'
  assert_eq TLSv1.1 "$PROTO" "control: protocol the client can speak"
  std_start
  refuses "$CG_PORT" alpha.test -tls1_1 -cipher 'ALL:@SECLEVEL=0'
  refuses "$CG_PORT" alpha.test -tls1 -cipher 'ALL:@SECLEVEL=0'
}

case_tls12_cbc_refused() {
  local c
  control_server -cipher 'ALL:@SECLEVEL=0'
  for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
    accepts "$CTRL_PORT" alpha.test -tls1_2 -cipher "$c"
  done
  std_start
  for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES256-SHA384; do
    refuses "$CG_PORT" alpha.test -tls1_2 -cipher "$c"
  done
  for c in ECDHE-RSA-AES128-SHA ECDHE-RSA-AES256-SHA384; do
    refuses "$CG_PORT" zulu.test -tls1_2 -cipher "$c"
  done
}

case_tls12_rsa_key_exchange_refused() {
  control_server -cipher 'ALL:@SECLEVEL=0'
  accepts "$CTRL_PORT" zulu.test -tls1_2 -cipher AES128-GCM-SHA256
  std_start
  refuses "$CG_PORT" zulu.test -tls1_2 -cipher AES128-GCM-SHA256
  refuses "$CG_PORT" zulu.test -tls1_2 -cipher AES256-GCM-SHA384
}

case_tls12_ecdhe_ecdsa_aes128_gcm_accepted() {
  std_start
  accepts "$CG_PORT" alpha.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  assert_eq TLSv1.2 "$PROTO" "protocol"
  assert_eq ECDHE-ECDSA-AES128-GCM-SHA256 "$CIPHER" "cipher"
}

case_tls12_other_ecdhe_gcm_accepted() {
  std_start
  accepts "$CG_PORT" alpha.test -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
  assert_eq ECDHE-ECDSA-AES256-GCM-SHA384 "$CIPHER" "cipher"
  accepts "$CG_PORT" zulu.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
  assert_eq ECDHE-RSA-AES128-GCM-SHA256 "$CIPHER" "cipher (RSA certificate)"
}

case_tls12_server_cipher_preference() {
  std_start
  local a b
  accepts "$CG_PORT" alpha.test -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305'
  a=$CIPHER
  accepts "$CG_PORT" alpha.test -tls1_2 -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'
  b=$CIPHER
  assert_eq "$a" "$b" "cipher chosen whatever the client's order (server preference)"
}

case_tls13_accepted_by_default() {
  std_start
  accepts "$CG_PORT" alpha.test -tls1_3
  assert_eq TLSv1.3 "$PROTO" "protocol"
  accepts "$CG_PORT" alpha.test
  assert_eq TLSv1.3 "$PROTO" "protocol negotiated with a default client"
}

case_min_tls_13_refuses_12() {
  std_start --min-tls 1.3
  refuses "$CG_PORT" alpha.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  accepts "$CG_PORT" alpha.test -tls1_3
  assert_eq TLSv1.3 "$PROTO" "protocol"
}

case_ciphers_flag() {
  std_start --ciphers ECDHE-ECDSA-AES256-GCM-SHA384
  refuses "$CG_PORT" alpha.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  accepts "$CG_PORT" alpha.test -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384'
  assert_eq ECDHE-ECDSA-AES256-GCM-SHA384 "$CIPHER" "cipher"
}

case_ciphersuites_flag() {
  std_start --ciphersuites TLS_CHACHA20_POLY1305_SHA256
  refuses "$CG_PORT" alpha.test -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
  accepts "$CG_PORT" alpha.test -tls1_3 -ciphersuites 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256'
  assert_eq TLS_CHACHA20_POLY1305_SHA256 "$CIPHER" "cipher suite"
}

case_groups_default_includes_p384() {
  std_start
  accepts "$CG_PORT" alpha.test -tls1_3 -groups P-384
  assert_contains "$GROUP" secp384r1 "key exchange"
  # TLS 1.2 with the RSA certificate: there the client's group list also limits ECDSA certificate curves.
  accepts "$CG_PORT" zulu.test -tls1_2 -groups P-384
  assert_contains "$GROUP" secp384r1 "key exchange (TLS 1.2)"
  accepts "$CG_PORT" alpha.test -tls1_3
  assert_contains "$GROUP" X25519 "key exchange with a default client"
}

case_groups_flag() {
  # Control: the client really offers P-256 (s_server accepts it).
  control_server
  accepts "$CTRL_PORT" alpha.test -tls1_3 -groups P-256
  std_start --groups X25519
  refuses "$CG_PORT" alpha.test -tls1_3 -groups P-256
  refuses "$CG_PORT" zulu.test -tls1_2 -groups P-256
  accepts "$CG_PORT" alpha.test -tls1_3 -groups X25519
  accepts "$CG_PORT" alpha.test -tls1_3 -groups P-256:X25519
  assert_contains "$GROUP" X25519 "key exchange"
}

case_no_compression() {
  std_start
  # A hand-made TLS 1.2 ClientHello offering DEFLATE (1) before null (0): the server must pick null.
  local out
  out=$("$PY" "$CLIENT_PY" comp --port "$CG_PORT" --sni alpha.test) || fail "no ServerHello: $out"
  note "$out"
  assert_match "$out" 'compression=0$' "compression method chosen by the server"
  # And what a stock client reports.
  timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_2 -comp </dev/null >"$CG_TMP/comp" 2>&1
  assert_contains "$(grep -i '^Compression' "$CG_TMP/comp")" "Compression: NONE" "s_client summary"
}

case_renegotiation_refused() {
  # Control: a server that allows client renegotiation shows that the probe can see "accepted".
  control_server -client_renegotiation
  local out
  out=$("$PY" "$CLIENT_PY" reneg --port "$CTRL_PORT" --sni alpha.test)
  note "control: $(printf '%s\n' "$out" | head -n 1)"
  assert_eq "renegotiation: accepted" "$(printf '%s\n' "$out" | head -n 1)" "control outcome against s_server -client_renegotiation"
  std_start
  out=$("$PY" "$CLIENT_PY" reneg --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt")
  note "$out"
  assert_match "$(printf '%s\n' "$out" | head -n 1)" '^renegotiation: refused' "renegotiation outcome"
  assert_hello
}

run_cases "$@"
