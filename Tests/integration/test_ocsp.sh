#!/usr/bin/env bash
# OCSP stapling from files: NAME.ocsp beside NAME.pem (tls.ocsp in a secret directory) is checked at load
# and stapled for clients that ask (`s_client -status`); a replaced file is served within 2 s; a response
# that is not valid for the certificate is not stapled, is logged naming the file and is counted in
# certgate_ocsp_responses_total. Responses come from `openssl ocsp`, as a local responder on 127.0.0.1 or
# written directly. The leaf is `chained` (issued by the test intermediate, which its PEM carries).
source "$(dirname "$0")/lib.sh"

CERTS=""

# ocsp_index STATUS LEAF : an `openssl ocsp` index file saying LEAF is good or revoked.
ocsp_index() {
  local serial; serial=$(cert_serial "$CG_PKI/$2.crt")
  case $1 in
    good) printf 'V\t300101000000Z\t\t%s\tunknown\t/CN=x\n' "$serial" ;;
    revoked) printf 'R\t300101000000Z\t200101000000Z\t%s\tunknown\t/CN=x\n' "$serial" ;;
  esac > "$CG_TMP/ocsp-index.txt"
}

# ocsp_make OUT [STATUS] [SIGNER] [DAYS] : a DER response for `chained` made without a server, signed by
# SIGNER (int: its issuer; ca: the root, which is not its issuer), valid for DAYS.
ocsp_make() {
  local out=$1 status=${2:-good} signer=${3:-int} days=${4:-1}
  ocsp_index "$status" chained
  openssl ocsp -index "$CG_TMP/ocsp-index.txt" -CA "$CG_PKI/int.crt" -issuer "$CG_PKI/int.crt" \
    -cert "$CG_PKI/chained.crt" -rsigner "$CG_PKI/$signer.crt" -rkey "$CG_PKI/$signer.key" -no_nonce \
    -ndays "$days" -respout "$out" >/dev/null 2>&1 || fail "openssl ocsp could not make $out"
}

# next_update FILE : the nextUpdate line of a DER response file, as openssl prints it.
next_update() { openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p'; }

# status_output : what `openssl s_client -status` prints for chained.test.
status_output() {
  openssl s_client -connect "127.0.0.1:$CG_PORT" -servername chained.test -status </dev/null 2>&1
}
# stapled_next_update : the nextUpdate of the response stapled now, empty when none is.
stapled_next_update() { status_output | sed -n 's/^ *Next Update: //p'; }
_stapled_is() { [ "$(stapled_next_update)" = "$1" ]; }
_nothing_stapled() { status_output | grep -q 'OCSP response: no response sent'; }

# assert_stapled FILE : the response stapled is FILE's (successful, good, same nextUpdate).
assert_stapled() {
  local out; out=$(status_output)
  assert_contains "$out" "OCSP Response Status: successful" "s_client -status"
  assert_contains "$out" "Cert Status: good" "s_client -status"
  assert_eq "$(next_update "$1")" "$(printf '%s\n' "$out" | sed -n 's/^ *Next Update: //p')" "stapled nextUpdate"
}

ocsp_start() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  cert_install chained:pem "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) "$@"
}

_fetch_from_responder() {
  openssl ocsp -issuer "$CG_PKI/int.crt" -cert "$CG_PKI/chained.crt" -url "http://127.0.0.1:$RESPONDER_PORT" \
    -timeout 2 -noverify -respout "$CG_TMP/certs/chained.ocsp" >>"$CG_TMP/responder.log" 2>&1
}

case_stapled_from_a_local_responder() {
  # The operator's cron job: ask the responder (OpenSSL 3.0 takes only a port number; it is asked on
  # 127.0.0.1), write the answer beside the certificate.
  local port; port=$(free_port)
  ocsp_index good chained
  openssl ocsp -index "$CG_TMP/ocsp-index.txt" -port "$port" -CA "$CG_PKI/int.crt" \
    -rsigner "$CG_PKI/int.crt" -rkey "$CG_PKI/int.key" -ndays 1 >>"$CG_TMP/responder.log" 2>&1 &
  _register_aux $!
  mkdir -p "$CG_TMP/certs"
  # No port probe: the single-threaded responder would wait on the probe's connection. Retry instead.
  RESPONDER_PORT=$port
  wait_for 10 _fetch_from_responder || { cat "$CG_TMP/responder.log"; fail "fetching from the local responder"; }
  ocsp_start
  assert_stapled "$CG_TMP/certs/chained.ocsp"
  assert_eq 1 "$(metric certgate_ocsp_responses_total 'result="loaded"')" 'responses_total{result="loaded"}'
  assert_eq 0 "$(metric certgate_ocsp_responses_total 'result="invalid"')" 'responses_total{result="invalid"}'
  local want; want=$(date -u -d "$(next_update "$CG_TMP/certs/chained.ocsp")" +%s)
  assert_eq "$want" "$(metric certgate_ocsp_next_update_timestamp_seconds 'cert="chained"')" "next_update metric"
  # TLS 1.2 carries it in a CertificateStatus message instead of the Certificate message.
  local tls12; tls12=$(openssl s_client -connect "127.0.0.1:$CG_PORT" -servername chained.test -status -tls1_2 \
    </dev/null 2>&1)
  assert_contains "$tls12" "Cert Status: good" "s_client -status -tls1_2"
  # A client that does not ask gets no staple.
  local plain; plain=$(openssl s_client -connect "127.0.0.1:$CG_PORT" -servername chained.test </dev/null 2>&1)
  assert_not_contains "$plain" "OCSP" "s_client without -status"
}

case_replaced_file_is_served_within_2s() {
  mkdir -p "$CG_TMP/certs"
  ocsp_make "$CG_TMP/certs/chained.ocsp" good int 1
  ocsp_start
  assert_stapled "$CG_TMP/certs/chained.ocsp"
  ocsp_make "$CG_TMP/next.ocsp" good int 3
  local want t0; want=$(next_update "$CG_TMP/next.ocsp")
  t0=$(now_ms)
  replace_atomic "$CG_TMP/next.ocsp" "$CG_TMP/certs/chained.ocsp"
  wait_for 2 _stapled_is "$want" || fail "new response not stapled within 2 s (stapled: [$(stapled_next_update)])"
  note "ok: new response stapled after $(( $(now_ms) - t0 )) ms"
  assert_eq 2 "$(metric certgate_ocsp_responses_total 'result="loaded"')" 'responses_total{result="loaded"}'
  # Removing the file stops stapling, and its nextUpdate series goes.
  rm "$CG_TMP/certs/chained.ocsp"
  wait_for 2 _nothing_stapled || fail "still stapling after the file was removed"
  assert_eq absent "$(metric certgate_ocsp_next_update_timestamp_seconds 'cert="chained"')" "next_update metric"
}

case_kubernetes_secret_tls_ocsp() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  cat "$CG_PKI/chained.crt" "$CG_PKI/chained.chain" > "$CG_TMP/chain.crt"
  kube_secret_dir "$CERTS/site" "$CG_TMP/chain.crt" "$CG_PKI/chained.key"
  ocsp_make "$CG_TMP/site.ocsp" good int 1
  cp "$CG_TMP/site.ocsp" "$CERTS/site/..2026_11_23_10_00_00.123456789/tls.ocsp"
  ln -s ..data/tls.ocsp "$CERTS/site/tls.ocsp"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args)
  assert_stapled "$CG_TMP/site.ocsp"
  assert_eq 1 "$(metric certgate_ocsp_responses_total 'result="loaded"')" 'responses_total{result="loaded"}'
}

case_invalid_responses_are_not_stapled_and_counted() {
  mkdir -p "$CG_TMP/certs"
  # Signed by the root, which did not issue the certificate and delegated nothing.
  ocsp_make "$CG_TMP/certs/chained.ocsp" good ca 1
  ocsp_start
  _nothing_stapled || fail "a response with the wrong signer was stapled"
  assert_eq 1 "$(metric certgate_ocsp_responses_total 'result="invalid"')" 'responses_total{result="invalid"}'
  assert_eq 1 "$(log_errors "$CG_TMP/certs/chained.ocsp")" "error lines naming the file"
  assert_eq absent "$(metric certgate_ocsp_next_update_timestamp_seconds 'cert="chained"')" "next_update metric"
  # Revoked: not stapled either.
  ocsp_make "$CG_TMP/revoked.ocsp" revoked int 1
  replace_atomic "$CG_TMP/revoked.ocsp" "$CG_TMP/certs/chained.ocsp"
  wait_for 2 metric_is certgate_ocsp_responses_total 'result="revoked"' 1 || fail "revoked response not counted"
  _nothing_stapled || fail "a revoked response was stapled"
  # A good one is stapled; garbage after it leaves the good one stapled while it is current.
  ocsp_make "$CG_TMP/good.ocsp" good int 1
  replace_atomic "$CG_TMP/good.ocsp" "$CG_TMP/certs/chained.ocsp"
  wait_for 2 _stapled_is "$(next_update "$CG_TMP/good.ocsp")" || fail "good response not stapled"
  printf 'not an OCSP response' > "$CG_TMP/garbage.ocsp"
  replace_atomic "$CG_TMP/garbage.ocsp" "$CG_TMP/certs/chained.ocsp"
  wait_for 2 metric_is certgate_ocsp_responses_total 'result="invalid"' 2 || fail "garbage not counted"
  assert_stapled "$CG_TMP/good.ocsp"
  assert_eq 1 "$(log_count "still stapling the previous one")" "log lines keeping the previous response"
}

case_check_shows_the_ocsp_state() {
  CERTS="$CG_TMP/certs"
  cert_install chained:pem "$CERTS"
  ocsp_make "$CERTS/chained.ocsp" good int 1
  local out rc=0
  out=$("$CG_BIN" check --listen 127.0.0.1:1 --upstream 127.0.0.1:9 --cert-dir "$CERTS" 2>&1) || rc=$?
  assert_eq 0 "$rc" "check exit status (good response)"
  assert_contains "$out" "ocsp=stapled(next-update=" "check output"
  ocsp_make "$CERTS/chained.ocsp" good ca 1
  rc=0
  out=$("$CG_BIN" check --listen 127.0.0.1:1 --upstream 127.0.0.1:9 --cert-dir "$CERTS" 2>&1) || rc=$?
  assert_eq 0 "$rc" "check exit status (a refused response does not fail the certificate)"
  assert_contains "$out" "ocsp=not-stapled(invalid: not signed by the certificate's issuer" "check output"
}

run_cases "$@"
