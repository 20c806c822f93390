#!/usr/bin/env bash
# per-certificate: client-certificate policies per certificate NAME on one listener. The policy follows
# the certificate chosen (exact name beats wildcard, the default certificate for no or unknown SNI), one
# root pool per distinct CA file, and a TLS session never resumes under a stricter policy.
#
# Layout (std_certs): global --client-ca ca1.pem (require)
#   alpha (alpha.test, the default)   inherits: require, CA1
#   wild  (*.example.com)             inherits: require, CA1
#   exact (exact.example.com)         client-auth: none
#   zulu  (zulu.test)                 client-ca: ca2.pem (require) + allow-cn: [client-2]
#   ghost                             no such certificate: a warning, nothing else
source "$(dirname "$0")/lib.sh"

# pc_pki DIR : CA1, CA2, CA2b (the rotation target) and clients cl1 (CA1), cl2 (CA2, CN client-2),
# cl2x (CA2, CN client-2x: not on zulu's allow-list), cl2b (CA2b, CN client-2).
pc_pki() {
  local d=$1 c
  mkdir -p "$d"
  for c in 1 2 2b; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -keyout "$d/ca$c.key" \
      -out "$d/ca$c.crt" -subj "/CN=pc-client-ca-$c" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
  done
  printf 'extendedKeyUsage=clientAuth\n' > "$d/ext"
  pc_client "$d" 1 1 client-1 && pc_client "$d" 2 2 client-2 && pc_client "$d" 2x 2 client-2x && pc_client "$d" 2b 2b client-2
}

# pc_client DIR NAME CA CN
pc_client() {
  local d=$1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl$2.key" \
    -out "$d/cl$2.csr" -subj "/CN=$4" 2>/dev/null || return 1
  openssl x509 -req -in "$d/cl$2.csr" -CA "$d/ca$3.crt" -CAkey "$d/ca$3.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 10 -extfile "$d/ext" -out "$d/cl$2.crt" 2>/dev/null
}

pc_start() {
  admin_init
  PC="$CG_TMP/pc"
  pc_pki "$PC" || fail "making the client PKI"
  cp "$PC/ca1.crt" "$PC/ca1.pem"
  cp "$PC/ca2.crt" "$PC/ca2.pem"
  cat > "$PC/certgate.yaml" <<EOF
per-certificate:
  exact:
    client-auth: none
  zulu:
    client-ca: ca2.pem
    allow-cn: [client-2]
  ghost:
    client-auth: none
EOF
  std_start --client-ca "$PC/ca1.pem" --config "$PC/certgate.yaml" "$@"
}

# st NAME [CLIENT] : HTTP status of GET /hello via SNI NAME with client certificate CLIENT (1, 2, 2x, 2b)
# or none; 000 = refused.
st() {
  local cert=()
  [ -n "${2:-}" ] && cert=(--cert "$PC/cl$2.crt" --key "$PC/cl$2.key")
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CG_PKI/ca.crt" --resolve "$1:$CG_PORT:127.0.0.1" \
    "${cert[@]}" "https://$1:$CG_PORT/hello" || true
}

# reason_after REASON BEFORE : waits until the handshake failures for REASON exceed BEFORE.
reason_after() {
  wait_for 3 metric_is certgate_tls_handshakes_total "reason=\"$1\"" $(($2 + 1)) || true
  assert_eq $(($2 + 1)) "$(metric certgate_tls_handshakes_total "reason=\"$1\"")" "handshake failures counted as $1"
}

case_each_name_gets_its_own_policy() {
  pc_start
  # alpha: require, CA1.
  assert_eq 200 "$(st alpha.test 1)" "alpha with a CA1 client"
  local untrusted missing denied
  untrusted=$(metric certgate_tls_handshakes_total 'reason="client_cert_untrusted"')
  assert_eq 000 "$(st alpha.test 2)" "alpha with a CA2 client"
  reason_after client_cert_untrusted "$untrusted"
  missing=$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')
  assert_eq 000 "$(st alpha.test)" "alpha without a client certificate"
  reason_after client_cert_missing "$missing"
  # exact: none, even though the global mode requires a certificate.
  assert_eq 200 "$(st exact.example.com)" "exact without a client certificate"
  # zulu: require, CA2, allow-cn client-2.
  assert_eq 200 "$(st zulu.test 2)" "zulu with the allowed CA2 client"
  untrusted=$(metric certgate_tls_handshakes_total 'reason="client_cert_untrusted"')
  assert_eq 000 "$(st zulu.test 1)" "zulu with a CA1 client"
  reason_after client_cert_untrusted "$untrusted"
  missing=$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')
  assert_eq 000 "$(st zulu.test)" "zulu without a client certificate"
  reason_after client_cert_missing "$missing"
  denied=$(metric certgate_tls_handshakes_total 'reason="client_cert_denied"')
  assert_eq 000 "$(st zulu.test 2x)" "zulu with a CA2 client not on the allow-list"
  reason_after client_cert_denied "$denied"
  # The allow-list is zulu's only: alpha has none.
  assert_eq 200 "$(st alpha.test 1)" "alpha again (no allow-list there)"
}

case_policy_follows_the_certificate_chosen() {
  pc_start
  # A wildcard name inherits the global policy; the exact name beats the wildcard with its own (none).
  assert_eq 000 "$(st other.example.com)" "*.example.com without a client certificate"
  assert_eq 200 "$(st other.example.com 1)" "*.example.com with a CA1 client"
  assert_eq 200 "$(st exact.example.com)" "exact.example.com (exact beats wildcard) without a certificate"
  # Unknown SNI and no SNI get the default certificate (alpha) and its policy (s_client: the name
  # does not match alpha's certificate, which curl would refuse; TLS 1.2, where a refused client
  # certificate fails the handshake itself, so s_client's status tells).
  local out="$CG_TMP/nosni.out"
  tls_try "$out" -tls1_2 -connect "127.0.0.1:$CG_PORT" -servername unknown.test -CAfile "$CG_PKI/ca.crt" \
    && fail "unknown SNI without a client certificate was accepted: $(cat "$out")"
  tls_try "$out" -tls1_2 -connect "127.0.0.1:$CG_PORT" -servername unknown.test -CAfile "$CG_PKI/ca.crt" \
    -cert "$PC/cl1.crt" -key "$PC/cl1.key" || fail "unknown SNI with a CA1 client was refused: $(cat "$out")"
  assert_contains "$(cat "$out")" "CN = cg-alpha" "unknown SNI gets the default certificate"
  tls_try "$out" -tls1_2 -connect "127.0.0.1:$CG_PORT" -noservername -CAfile "$CG_PKI/ca.crt" \
    -cert "$PC/cl2.crt" -key "$PC/cl2.key" && fail "no SNI with a CA2 client was accepted: $(cat "$out")"
  tls_try "$out" -tls1_2 -connect "127.0.0.1:$CG_PORT" -noservername -CAfile "$CG_PKI/ca.crt" \
    -cert "$PC/cl1.crt" -key "$PC/cl1.key" || fail "no SNI with a CA1 client was refused: $(cat "$out")"
  # The CertificateRequest of zulu names CA2 only; exact sends none at all.
  timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername zulu.test </dev/null >"$out" 2>&1 || true
  grep -A3 'Acceptable client certificate CA names' "$out" | grep -q 'pc-client-ca-2' || fail "zulu's CA names: $(cat "$out")"
  grep -A3 'Acceptable client certificate CA names' "$out" | grep -q 'pc-client-ca-1' && fail "zulu's CertificateRequest names CA1"
  timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername exact.example.com </dev/null >"$out" 2>&1 || true
  grep -q 'No client certificate CA names sent' "$out" || fail "exact sent a CertificateRequest: $(cat "$out")"
  grep -q 'Acceptable client certificate CA names' "$out" && fail "exact names CAs"
  note "ok: CertificateRequest per name"
}

# sess VERSION NAME OUT [IN] [CLIENT] : one handshake + GET /hello with s_client on SNI NAME, saving the
# session to OUT (and offering IN when given); prints s_client's output. $SESS_ARGS: extra s_client
# arguments (-no_ticket: TLS 1.2 resumption by session id from the server's cache instead of a ticket).
sess() {
  local version=$1 name=$2 out=$3 in=${4:-} client=${5:-} args=(${SESS_ARGS:-})
  [ -n "$in" ] && args+=(-sess_in "$in")
  [ -n "$client" ] && args+=(-cert "$PC/cl$client.crt" -key "$PC/cl$client.key")
  { printf 'GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$name"; sleep 1; } \
    | timeout 10 openssl s_client "-$version" -connect "127.0.0.1:$CG_PORT" -servername "$name" \
      -CAfile "$CG_PKI/ca.crt" -sess_out "$out" "${args[@]}" 2>&1 || true
}

# resumption_case VERSION : tls1_2 or tls1_3.
resumption_case() {
  local v=$1 out
  pc_start
  # Same name, no client certificate policy: the session resumes.
  out=$(sess "$v" exact.example.com "$CG_TMP/none.sess")
  assert_contains "$out" "hello from upstream" "first request on exact ($v)"
  [ -s "$CG_TMP/none.sess" ] || fail "s_client saved no session for exact ($v)"
  out=$(sess "$v" exact.example.com "$CG_TMP/none2.sess" "$CG_TMP/none.sess")
  assert_contains "$out" "Reused, " "resumption on exact ($v)"
  assert_contains "$out" "hello from upstream" "resumed request on exact ($v)"
  # Same policy on another name (alpha and *.example.com both inherit the global one): still a full
  # handshake, a session only resumes for the name it was made for (RFC 6066); on alpha itself it resumes.
  out=$(sess "$v" alpha.test "$CG_TMP/a.sess" "" 1)
  assert_contains "$out" "hello from upstream" "first request on alpha with a CA1 client ($v)"
  out=$(sess "$v" other.example.com "$CG_TMP/a2.sess" "$CG_TMP/a.sess" 1)
  assert_not_contains "$out" "Reused, " "alpha's session on *.example.com (same policy, another name) ($v)"
  assert_contains "$out" "hello from upstream" "full handshake on *.example.com with the CA1 client ($v)"
  out=$(sess "$v" alpha.test "$CG_TMP/a3.sess" "$CG_TMP/a.sess")
  assert_contains "$out" "Reused, " "resumption of alpha's session on alpha ($v)"
  assert_contains "$out" "hello from upstream" "resumed request on alpha, with the certificate of the session ($v)"
  # The session from exact (none) offered to alpha (require): a full handshake, refused without a
  # certificate (the unit tests show OpenSSL's client does offer a session under another name).
  local missing
  missing=$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')
  out=$(sess "$v" alpha.test "$CG_TMP/x.sess" "$CG_TMP/none.sess")
  assert_not_contains "$out" "Reused, " "exact's session on alpha ($v)"
  assert_not_contains "$out" "hello from upstream" "exact's session on alpha ($v)"
  reason_after client_cert_missing "$missing"
  # ... and to zulu (require, another CA): refused the same way; with zulu's client it works.
  missing=$(metric certgate_tls_handshakes_total 'reason="client_cert_missing"')
  out=$(sess "$v" zulu.test "$CG_TMP/x.sess" "$CG_TMP/none.sess")
  assert_not_contains "$out" "hello from upstream" "exact's session on zulu ($v)"
  reason_after client_cert_missing "$missing"
  out=$(sess "$v" zulu.test "$CG_TMP/z.sess" "$CG_TMP/none.sess" 2)
  assert_not_contains "$out" "Reused, " "exact's session on zulu with a client certificate ($v)"
  assert_contains "$out" "hello from upstream" "exact's session on zulu with zulu's client: full handshake ($v)"
  # alpha's session (verified against CA1) on zulu (CA2): not resumed either.
  out=$(sess "$v" zulu.test "$CG_TMP/x.sess" "$CG_TMP/a.sess")
  assert_not_contains "$out" "Reused, " "alpha's session on zulu ($v)"
  assert_not_contains "$out" "hello from upstream" "alpha's session on zulu without a certificate ($v)"
}

case_resumption_never_crosses_policies_tls13() { resumption_case tls1_3; }
case_resumption_never_crosses_policies_tls12() { resumption_case tls1_2; }
case_resumption_never_crosses_policies_tls12_session_ids() { SESS_ARGS=-no_ticket resumption_case tls1_2; }

case_one_pool_per_ca_file() {
  pc_start
  assert_eq 1 "$(metric certgate_client_ca_generations "ca_file=\"$PC/ca1.pem\"")" "CA1 pool generations"
  assert_eq 1 "$(metric certgate_client_ca_generations "ca_file=\"$PC/ca2.pem\"")" "CA2 pool generations"
  # Sessions from before the rotation, on both pools.
  local out
  out=$(sess tls1_3 zulu.test "$CG_TMP/z.sess" "" 2)
  assert_contains "$out" "hello from upstream" "zulu with a CA2 client before the rotation"
  out=$(sess tls1_3 alpha.test "$CG_TMP/a.sess" "" 1)
  assert_contains "$out" "hello from upstream" "alpha with a CA1 client before the rotation"
  # Rotate CA2 -> CA2b: CA2's pool gets a generation, CA1's does not.
  cat "$PC/ca2b.crt" > "$PC/.ca2.tmp"; mv "$PC/.ca2.tmp" "$PC/ca2.pem"
  wait_for 5 metric_is certgate_client_ca_generations "ca_file=\"$PC/ca2.pem\"" 2 || fail "CA2b did not enter CA2's pool"
  assert_eq 1 "$(metric certgate_client_ca_generations "ca_file=\"$PC/ca1.pem\"")" "CA1 pool generations after rotating CA2"
  assert_eq 1 "$(metric certgate_client_ca_reloads_total "ca_file=\"$PC/ca1.pem\",trigger=\"startup\",result=\"success\"")" "CA1 loads"
  assert_eq 0 "$(metric certgate_client_ca_reloads_total "ca_file=\"$PC/ca1.pem\",trigger=\"inotify\",result=\"success\"")" "CA1 loads by inotify"
  # zulu's trust changed: its old session gets a full handshake (the client is verified again);
  # alpha's pool did not change: its session still resumes.
  out=$(sess tls1_3 zulu.test "$CG_TMP/z2.sess" "$CG_TMP/z.sess")
  assert_not_contains "$out" "Reused, " "zulu's session from before the rotation"
  assert_not_contains "$out" "hello from upstream" "zulu's session from before the rotation, without a certificate"
  out=$(sess tls1_3 alpha.test "$CG_TMP/a2.sess" "$CG_TMP/a.sess")
  assert_contains "$out" "Reused, " "alpha's session after zulu's rotation"
  assert_eq 200 "$(st zulu.test 2b)" "zulu with a CA2b client after the rotation"
  assert_eq 200 "$(st zulu.test 2)" "zulu with a CA2 client (previous generation)"
  assert_eq 000 "$(st alpha.test 2b)" "alpha with a CA2b client (not CA1's pool)"
  assert_eq 200 "$(st alpha.test 1)" "alpha with a CA1 client"
}

case_unmatched_name_is_a_warning() {
  pc_start
  grep 'per-certificate entry matches no loaded certificate' "$CG_LOG" | grep -q 'cert=ghost' \
    || fail "no start-up warning for ghost: $(cat "$CG_LOG")"
  assert_eq 1 "$(log_count 'per-certificate entry matches no loaded certificate')" "start-up warnings"
  kill -HUP "$CG_PID"
  wait_for 3 sh -c "[ \$(grep -c 'per-certificate entry matches no loaded certificate' '$CG_LOG') -ge 2 ]" \
    || fail "no warning for ghost on reload"
  wait_for 3 metric_is certgate_cert_reloads_total 'trigger="signal",result="unchanged"' 1 \
    || fail "the reload did not succeed: $(metric certgate_cert_reloads_total 'trigger="signal"')"
  assert_eq 200 "$(st alpha.test 1)" "alpha after the reload"
  local out
  out=$("$CG_BIN" check --listen 127.0.0.1:0 --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --client-ca "$PC/ca1.pem" \
    --config "$PC/certgate.yaml" 2>&1) || fail "check failed: $out"
  assert_contains "$out" "per-certificate entry 'ghost' matches no loaded certificate" "check warns about ghost"
  assert_contains "$out" "client CA file $PC/ca2.pem: 1 CA" "check loads zulu's CA file"
  # check loads the per-certificate CA files like run: a missing one fails it, naming the key and file.
  sed -i 's/ca2.pem/missing.pem/' "$PC/certgate.yaml"
  local rc=0
  out=$("$CG_BIN" check --listen 127.0.0.1:0 --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" \
    --client-ca "$PC/ca1.pem" --config "$PC/certgate.yaml" 2>&1) || rc=$?
  assert_eq 1 "$rc" "check with a missing per-certificate CA file: exit status"
  assert_contains "$out" "per-certificate.zulu.client-ca $PC/missing.pem" "check error names the key and the file"
}

case_same_ca_file_with_two_crl_files_is_refused() {
  up_start http
  std_certs "$CG_TMP/certs"
  PC="$CG_TMP/pc"
  pc_pki "$PC" || fail "making the client PKI"
  cp "$PC/ca1.crt" "$PC/ca1.pem"
  cat > "$PC/certgate.yaml" <<EOF
per-certificate:
  zulu:
    client-ca: ca1.pem
    client-crl: other.crl
EOF
  : > "$PC/other.crl"
  CG_PORT=$(free_port)
  local out rc=0
  out=$("$CG_BIN" run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" \
    --client-ca "$PC/ca1.pem" --config "$PC/certgate.yaml" 2>&1) || rc=$?
  assert_eq 1 "$rc" "exit status"
  assert_contains "$out" "per-certificate.zulu.client-ca $PC/ca1.pem: this CA file is also used by --client-ca" "error"
}

run_cases "$@"
