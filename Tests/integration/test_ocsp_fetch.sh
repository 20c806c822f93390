#!/usr/bin/env bash
# --ocsp-fetch: certgate fetches the OCSP response itself from the responder URL in the certificate (AIA),
# here a local `openssl ocsp -port` responder on 127.0.0.1, staples it within seconds with no .ocsp file
# provided, writes it to --ocsp-dir/NAME.ocsp and counts certgate_ocsp_fetches_total{result="success"}. A
# dead responder counts failures and handshakes go on without a staple. A responder URL with a host name
# is resolved on a resolver thread (the name lives in a private /etc/hosts bind-mounted in certgate's own
# mount namespace, as in test_upstream_resolve.sh; needs root, skipped otherwise); only other schemes than
# http:// are unsupported.
source "$(dirname "$0")/lib.sh"

CERTS=""

# aia_leaf NAME URL : a leaf for NAME.test issued by the test intermediate whose AIA names the OCSP
# responder URL, installed as $CERTS/NAME.pem (leaf, intermediate, key).
aia_leaf() {
  local name=$1 url=$2 d=$CG_TMP
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$name.key" \
    -out "$d/$name.csr" -subj "/CN=$name" 2>/dev/null || fail "key for $name"
  printf '%s\n' "subjectAltName=DNS:$name.test" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "authorityInfoAccess=OCSP;URI:$url" > "$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$CG_PKI/int.crt" -CAkey "$CG_PKI/int.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null \
    || fail "certificate for $name"
  mkdir -p "$CERTS"
  cat "$d/$name.crt" "$CG_PKI/int.crt" "$d/$name.key" > "$CERTS/$name.pem"
}

status_output() {
  openssl s_client -connect "127.0.0.1:$CG_PORT" -servername "$1.test" -status </dev/null 2>&1
}
_stapled_good() { status_output "$1" | grep -q 'Cert Status: good'; }

# responder_start [HOST] : `site` with its AIA naming a local `openssl ocsp -port` responder (on
# 127.0.0.1, named HOST in the URL, 127.0.0.1 by default) that says it is good, signed by the
# intermediate; RESPONDER is its pid.
RESPONDER=""
responder_start() {
  local port; port=$(free_port)
  aia_leaf site "http://${1:-127.0.0.1}:$port/"
  printf 'V\t300101000000Z\t\t%s\tunknown\t/CN=site\n' "$(cert_serial "$CG_TMP/site.crt")" > "$CG_TMP/index.txt"
  openssl ocsp -index "$CG_TMP/index.txt" -port "$port" -CA "$CG_PKI/int.crt" \
    -rsigner "$CG_PKI/int.crt" -rkey "$CG_PKI/int.key" -ndays 1 >>"$CG_TMP/responder.log" 2>&1 &
  RESPONDER=$!
  _register_aux "$RESPONDER"
}

case_fetched_from_the_aia_responder_and_stapled() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  responder_start
  mkdir -p "$CG_TMP/ocsp"
  [ ! -e "$CERTS/site.ocsp" ] || fail "a response file exists before the start"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) \
    --ocsp-fetch --ocsp-dir "$CG_TMP/ocsp"
  local t0; t0=$(now_ms)
  wait_for 5 _stapled_good site || { cat "$CG_TMP/responder.log"; fail "nothing stapled within 5 s"; }
  note "ok: fetched response stapled $(( $(now_ms) - t0 )) ms after the start"
  [ -s "$CG_TMP/ocsp/site.ocsp" ] || fail "no $CG_TMP/ocsp/site.ocsp written"
  [ ! -e "$CERTS/site.ocsp" ] || fail "written beside the certificate despite --ocsp-dir"
  openssl ocsp -respin "$CG_TMP/ocsp/site.ocsp" -issuer "$CG_PKI/int.crt" -cert "$CG_TMP/site.crt" \
    -CAfile "$CG_PKI/ca.crt" 2>&1 | grep -q "$CG_TMP/site.crt: good" || fail "written file is not a good response"
  assert_eq 1 "$(metric certgate_ocsp_fetches_total 'result="success"')" 'fetches_total{result="success"}'
  assert_eq 0 "$(metric certgate_ocsp_fetches_total 'result="error"')" 'fetches_total{result="error"}'
  assert_eq 1 "$(metric certgate_ocsp_responses_total 'result="loaded"')" 'responses_total{result="loaded"}'
  assert_eq 1 "$(log_count "OCSP response fetched")" "log lines for the fetch"
  # The fetch timer does not hold up a graceful stop (cg_stop: exit 0 within 5 s of SIGTERM). A restart
  # staples the written file at once, with the responder gone and without fetching.
  cg_stop
  kill "$RESPONDER"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) --ocsp-dir "$CG_TMP/ocsp"
  _stapled_good site || fail "not stapled at once after a restart"
  assert_eq 0 "$(metric certgate_ocsp_fetches_total 'result="error"')" 'fetches_total{result="error"} (no fetching)'
}

case_without_ocsp_dir_written_beside_the_certificate() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  responder_start
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) --ocsp-fetch
  wait_for 5 _stapled_good site || { cat "$CG_TMP/responder.log"; fail "nothing stapled within 5 s"; }
  [ -s "$CERTS/site.ocsp" ] || fail "no $CERTS/site.ocsp written"
  assert_eq "" "$(find "$CERTS" -name '*.tmp')" "temporary files left in the certificate directory"
  assert_eq 1 "$(metric certgate_ocsp_fetches_total 'result="success"')" 'fetches_total{result="success"}'
  assert_eq 0 "$(grep -cE '^[^ ]+ (warning|error|critical) ' "$CG_LOG")" "warnings or errors in the log"
}

case_dead_responder_counts_failures_and_serves_on() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  # Nothing listens on this port: the connection is refused.
  aia_leaf site "http://127.0.0.1:$(free_port)/"
  # Only http:// is fetched: another scheme is counted as unsupported.
  aia_leaf named "ldap://ocsp.example.test/"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) --ocsp-fetch
  wait_for 5 metric_is certgate_ocsp_fetches_total 'result="error"' 1 || fail "failed fetch not counted"
  local out; out=$(status_output site)
  assert_contains "$out" "OCSP response: no response sent" "s_client -status"
  assert_contains "$out" "Verify return code" "handshake"
  assert_eq 0 "$(metric certgate_ocsp_fetches_total 'result="success"')" 'fetches_total{result="success"}'
  assert_eq 1 "$(metric certgate_ocsp_fetches_total 'result="unsupported"')" 'fetches_total{result="unsupported"}'
  assert_eq 1 "$(log_count "only http:// responders are fetched")" "log line for the ldap:// URL"
  [ ! -e "$CERTS/site.ocsp" ] || fail "a response file was written"
  assert_eq 2 "$(log_count "OCSP fetch failed")" "warning lines, one per certificate (the next try is a minute later)"
}

# private_hosts NAME... : CG_BIN becomes a wrapper that runs certgate with a private /etc/hosts mapping
# each NAME to 127.0.0.1 (test_upstream_resolve.sh does the same).
private_hosts() {
  { echo "127.0.0.1 localhost"; for n in "$@"; do echo "127.0.0.1 $n"; done; } >"$CG_TMP/hosts"
  unshare -m mount --bind "$CG_TMP/hosts" /etc/hosts 2>/dev/null || skip "unshare -m with a bind mount is not allowed here"
  cat >"$CG_TMP/certgate-ns" <<WRAP
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$CG_TMP/hosts" "$CG_BIN" "\$@"
WRAP
  chmod +x "$CG_TMP/certgate-ns"
  CG_BIN="$CG_TMP/certgate-ns"
}

case_a_host_name_responder_is_resolved_off_the_loop_and_stapled() {
  private_hosts ocsp.certgate.test
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  responder_start ocsp.certgate.test
  # A name that the hosts file does not know: resolution fails, counted as error.
  aia_leaf unknown "http://ocsp-unknown.certgate.test/"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" $(cg_admin_args) --ocsp-fetch
  wait_for 10 _stapled_good site || { cat "$CG_TMP/responder.log"; fail "nothing stapled within 10 s"; }
  [ -s "$CERTS/site.ocsp" ] || fail "no $CERTS/site.ocsp written"
  wait_for 5 metric_is certgate_ocsp_fetches_total 'result="error"' 1 || fail "failed resolution not counted"
  assert_eq 1 "$(metric certgate_ocsp_fetches_total 'result="success"')" 'fetches_total{result="success"}'
  assert_eq 0 "$(metric certgate_ocsp_fetches_total 'result="unsupported"')" 'fetches_total{result="unsupported"}'
  assert_eq 1 "$(log_count "resolving the responder failed")" "log line for the unknown name"
  assert_eq 1 "$(log_count "ocsp-unknown.certgate.test")" "the failed name in the log"
}

run_cases "$@"
