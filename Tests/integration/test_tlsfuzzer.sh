#!/usr/bin/env bash
# tlsfuzzer (github.com/tlsfuzzer/tlsfuzzer) against certgate: the RFC 6066 server_name scripts with the
# exact result certgate must reach, and the other scripts of the subset in docs/field notes, each compared
# with `openssl s_server` set up the same way (certgate must pass at least as many cases).
#
# tlsfuzzer is GPL and is not part of this repository: point CG_TLSFUZZER at a directory holding its
# `tlsfuzzer/` and `scripts/` with tlslite-ng's `tlslite/` beside them, e.g.
#   git -C tlsfuzzer archive HEAD tlsfuzzer scripts | tar -x -C DIR; git -C tlslite-ng archive HEAD tlslite | tar -x -C DIR
# It needs a Python 3 with the `ecdsa` module (Debian: python3-ecdsa); CG_TLSFUZZER_PYTHON picks one.
# Without either, every case is skipped.
#
# tlsfuzzer offers RSA signatures only, so the listener serves RSA leaves issued by an RSA CA, and
# several TLS 1.2 scripts offer only CBC suites with -d: both servers get ECDHE-RSA-AES128-SHA too.
# case-timeout: 300
source "$(dirname "$0")/lib.sh"

TF_DIR=${CG_TLSFUZZER:-}
TF_HOST=tlsfuzzer.test
TF_CIPHERS='ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE-RSA-AES128-SHA'

# The server_name cases no OpenSSL-based server can pass: OpenSSL parses the extension itself after the
# ClientHello callback and refuses any entry but a single host_name with decode_error ("act as if no other
# SNI types can exist", ssl/statem/extensions_srvr.c), while tlsfuzzer expects unknown name types to be
# ignored (RFC 6066 section 3).
TF_OPENSSL_SNI=(-x "multiple types in SNI, host_name first" -x "multiple types in SNI, host_name last")

tf_python() {
  local candidate
  for candidate in ${CG_TLSFUZZER_PYTHON:-} python3 /usr/bin/python3; do
    command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import ecdsa' 2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

# tf_require : skip the case unless tlsfuzzer and a Python that can run it are there; sets TF_PY.
tf_require() {
  [ -n "$TF_DIR" ] || skip "tlsfuzzer not configured: set CG_TLSFUZZER to a directory with tlsfuzzer's tlsfuzzer/ and scripts/ and tlslite-ng's tlslite/"
  [ -f "$TF_DIR/scripts/test-conversation.py" ] && [ -d "$TF_DIR/tlsfuzzer" ] && [ -d "$TF_DIR/tlslite" ] \
    || skip "CG_TLSFUZZER=$TF_DIR lacks scripts/, tlsfuzzer/ or tlslite/ (see the head of this file)"
  TF_PY=$(tf_python) || skip "no Python 3 with the ecdsa module for tlsfuzzer (Debian: python3-ecdsa; or set CG_TLSFUZZER_PYTHON)"
}

# tf_pki : an RSA CA in $CG_TMP/tf with two RSA leaves, tlsfuzzer.test and other.tlsfuzzer.test.
tf_pki() {
  local d="$CG_TMP/tf"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=tlsfuzzer-rsa-root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null \
    || fail "RSA CA for tlsfuzzer"
  pki_leaf "$d" main "$TF_HOST" "DNS:$TF_HOST" rsa ca || fail "RSA leaf $TF_HOST"
  pki_leaf "$d" other "other.$TF_HOST" "DNS:other.$TF_HOST" rsa ca || fail "RSA leaf other.$TF_HOST"
}

# tf_certgate [--several] ARGS... : certgate serving the tlsfuzzer leaf (and, with --several, a second one)
# in front of an upstream that answers each request with one write, as s_server -www does.
tf_certgate() {
  local certs="$CG_TMP/tfcerts"
  mkdir -p "$certs"
  # TF_CHAIN: files to put between the leaf and its key (the issuer, for OCSP stapling).
  cat "$CG_TMP/tf/main.crt" ${TF_CHAIN:+"${TF_CHAIN[@]}"} "$CG_TMP/tf/main.key" > "$certs/main.pem"
  if [ "${1:-}" = --several ]; then
    shift
    cat "$CG_TMP/tf/other.crt" "$CG_TMP/tf/other.key" > "$certs/other.pem"
  fi
  up_start oneshot
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$certs" --default-cert main --ciphers "$TF_CIPHERS" \
    --alpn http/1.1 "$@"
  # One handshake first: the scripts' sanity cases send a malformed close_notify (alert level 0) right
  # after the response and pass only when the server's close_notify is out first; a cold first connection
  # of a debug build can lose that race.
  tls_try "$CG_TMP/warmup" -connect "127.0.0.1:$CG_PORT" -servername "$TF_HOST" || true
}

# tf_s_server : openssl s_server with certgate's settings (TLS 1.2 minimum, same ciphers and ALPN, server
# preference, no renegotiation, no compression) on $SS_PORT.
tf_s_server() {
  SS_PORT=$(free_port)
  openssl s_server -accept "127.0.0.1:$SS_PORT" -cert "$CG_TMP/tf/main.crt" -key "$CG_TMP/tf/main.key" \
    -cipher "$TF_CIPHERS" -alpn http/1.1 -min_protocol TLSv1.2 -serverpref -no_renegotiation -no_comp -www \
    ${TF_SS_ARGS:+"${TF_SS_ARGS[@]}"} \
    </dev/null >"$CG_TMP/s_server.log" 2>&1 &
  _register_aux $!
  wait_port "$SS_PORT" 10 $! || fail "s_server did not start: $(cat "$CG_TMP/s_server.log")"
}

# tf_run PORT SCRIPT ARGS... : one tlsfuzzer script; output in $CG_TMP/SCRIPT-PORT.out; sets TF_PASS,
# TF_FAIL, TF_XFAIL, TF_TOTAL and TF_FAILED (the failed case names); returns the script's exit status.
tf_run() {
  local port=$1 script=$2; shift 2
  local out="$CG_TMP/$script-$port.out" rc=0
  (cd "$TF_DIR" && PYTHONPATH=. timeout 240 "$TF_PY" "scripts/$script.py" -h 127.0.0.1 -p "$port" "$@") >"$out" 2>&1 || rc=$?
  TF_PASS=$(awk '/^PASS:/ {print $2}' "$out"); TF_PASS=${TF_PASS:-0}
  TF_FAIL=$(awk '/^FAIL:/ {print $2}' "$out"); TF_FAIL=${TF_FAIL:-0}
  TF_XFAIL=$(awk '/^XFAIL:/ {print $2}' "$out"); TF_XFAIL=${TF_XFAIL:-0}
  TF_TOTAL=$(awk '/^TOTAL:/ {print $2}' "$out"); TF_TOTAL=${TF_TOTAL:-0}
  TF_FAILED=$(sed -n '/^FAILED:/,$p' "$out" | grep -v '^FAILED:' | tr -d '\t' | tr '\n' ' ')
  note "$script on port $port: pass $TF_PASS, fail $TF_FAIL, expected failures $TF_XFAIL, total $TF_TOTAL${TF_FAILED:+; failed: $TF_FAILED}"
  return $rc
}

# tf_exact SCRIPT PASS ARGS... : certgate (already started) must pass exactly PASS cases and fail none
# that are not marked as expected failures.
tf_exact() {
  local script=$1 want=$2; shift 2
  tf_run "$CG_PORT" "$script" "$@" || { tail -n 40 "$CG_TMP/$script-$CG_PORT.out"; fail "$script: unexpected result against certgate"; }
  assert_eq "$want" "$TF_PASS" "$script: cases passed"
  assert_eq 0 "$TF_FAIL" "$script: unexpected failures"
}

# tf_versus SCRIPT ARGS... : the script against s_server, then against certgate: certgate passes at least
# as many cases.
tf_versus() {
  local script=$1; shift
  tf_require
  tf_pki
  tf_s_server
  tf_run "$SS_PORT" "$script" "$@" || true
  local baseline=$TF_PASS baseline_total=$TF_TOTAL
  [ "$baseline_total" -gt 0 ] || { tail -n 20 "$CG_TMP/$script-$SS_PORT.out"; fail "$script did not run against s_server"; }
  tf_certgate
  tf_run "$CG_PORT" "$script" "$@" || true
  assert_eq "$baseline_total" "$TF_TOTAL" "$script: cases run against certgate and s_server"
  assert_ge "$TF_PASS" "$baseline" "$script: cases certgate passes (s_server passes $baseline of $baseline_total)"
}

# ---------------------------------------------------------------------------------------------------
# RFC 6066 server_name

case_server_name_strict() {
  tf_require
  tf_pki
  tf_certgate --strict-sni
  # 16 cases: all but the two OpenSSL refuses for everyone (expected failures).
  tf_exact test-invalid-server-name-extension 14 -d --sni "$TF_HOST" --sni-fatal "${TF_OPENSSL_SNI[@]}"
  assert_eq 2 "$TF_XFAIL" "test-invalid-server-name-extension: OpenSSL's own expected failures"
}

case_server_name_lenient() {
  tf_require
  tf_pki
  tf_certgate
  # Without --strict-sni an unknown name gets the default certificate and no warning alert: RFC 6066 calls
  # the warning-level unrecognized_name alert NOT RECOMMENDED, tlsfuzzer's "incorrect SNI" expects it.
  tf_exact test-invalid-server-name-extension 13 -d --sni "$TF_HOST" -x "incorrect SNI" "${TF_OPENSSL_SNI[@]}"
  assert_eq 3 "$TF_XFAIL" "test-invalid-server-name-extension: expected failures"
}

case_server_name_resumption() {
  tf_require
  tf_pki
  # The script's resumption ClientHellos are old-fashioned: no signature_algorithms (so SHA-1 signatures,
  # which OpenSSL 3 refuses below security level 0) and, when resuming, no supported_groups (so with -d
  # only DHE, which certgate does not set up, could be negotiated). This listener takes them: RSA key
  # exchange (AES128-SHA) and @SECLEVEL=0, so every case gets as far as the server_name checks. The next
  # case runs the script as the field notes do (-d, certgate's usual settings) against s_server.
  TF_CIPHERS="$TF_CIPHERS:AES128-SHA:@SECLEVEL=0"
  tf_certgate
  # Includes resuming a session under another name: a full handshake, not the old session.
  tf_exact test-invalid-server-name-extension-resumption 6 --sni "$TF_HOST"
}

case_server_name_resumption_ecdhe() { tf_versus test-invalid-server-name-extension-resumption -d --sni "$TF_HOST"; }

case_strict_sni_several_certificates() {
  tf_require
  tf_pki
  tf_certgate --several --strict-sni
  # With two certificates a ClientHello without SNI has no certificate of its own: the scripts' sanity
  # case (no SNI, run first and last) must be refused with unrecognized_name; every named case behaves as
  # with one certificate.
  tf_exact test-invalid-server-name-extension 12 -d --sni "$TF_HOST" --sni-fatal "${TF_OPENSSL_SNI[@]}" \
    -x sanity -X unrecognized_name
  assert_eq 4 "$TF_XFAIL" "test-invalid-server-name-extension: expected failures (sanity twice, OpenSSL's two)"
}

# ---------------------------------------------------------------------------------------------------
# The rest of the subset, against s_server

case_conversation() { tf_versus test-conversation -C TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; }
case_large_hello() { tf_versus test-large-hello -d; }
case_renegotiation_disabled() { tf_versus test-renegotiation-disabled -d -C TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; }
case_client_hello_max_size() { tf_versus test-client-hello-max-size -d; }
case_truncating_of_client_hello() { tf_versus test-truncating-of-client-hello -d; }
case_tls13_conversation() { tf_versus test-tls13-conversation; }
# OpenSSL answers an oversized KeyUpdate with decode_error or illegal_parameter from run to run, s_server
# and certgate alike (as with the padding cases of test-tls13-finished): left out of the comparison.
case_tls13_keyupdate() { tf_versus test-tls13-keyupdate -e "large KeyUpdate message"; }
case_tls13_record_padding() { tf_versus test-tls13-record-padding; }
case_tls13_zero_length_data() { tf_versus test-tls13-zero-length-data; }
case_tls13_empty_alert() { tf_versus test-tls13-empty-alert; }
case_session_ticket_resumption() { tf_versus test-session-ticket-resumption -d; }
case_tls13_session_resumption() { tf_versus test-tls13-session-resumption; }
case_tls13_count_tickets() { tf_versus test-tls13-count-tickets -t 2; }
case_ocsp_stapling() { tf_versus test-ocsp-stapling -d --no-status; }

# With a good OCSP response for the leaf: certgate staples it from main.ocsp, s_server from -status_file.
case_ocsp_stapling_with_response() {
  tf_require
  tf_pki
  local d="$CG_TMP/tf" serial
  serial=$(cert_serial "$d/main.crt")
  printf 'V\t300101000000Z\t\t%s\tunknown\t/CN=x\n' "$serial" > "$d/ocsp-index.txt"
  openssl ocsp -index "$d/ocsp-index.txt" -CA "$d/ca.crt" -issuer "$d/ca.crt" -cert "$d/main.crt" \
    -rsigner "$d/ca.crt" -rkey "$d/ca.key" -no_nonce -ndays 1 -respout "$d/main.ocsp" >/dev/null 2>&1 \
    || fail "OCSP response for the tlsfuzzer leaf"
  mkdir -p "$CG_TMP/tfcerts"
  cp "$d/main.ocsp" "$CG_TMP/tfcerts/main.ocsp"
  TF_CHAIN=("$d/ca.crt")
  TF_SS_ARGS=(-status_file "$d/main.ocsp")
  # Renegotiation is off in both servers (SSL_OP_NO_RENEGOTIATION, -no_renegotiation): those two cases are
  # expected failures; the stapling cases (sanity, with and without responder ids) must pass.
  local args=(-d -x renegotiate -x "renegotiate with large responder_id_list")
  tf_s_server
  tf_run "$SS_PORT" test-ocsp-stapling "${args[@]}" || fail "test-ocsp-stapling against s_server -status_file"
  tf_certgate
  tf_exact test-ocsp-stapling 2 "${args[@]}"
  assert_eq 2 "$TF_XFAIL" "test-ocsp-stapling: renegotiation cases (expected failures)"
}

run_cases "$@"
