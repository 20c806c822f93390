#!/usr/bin/env bash
# --proxy-protocol v1|v2: the upstream receives a PROXY header with the client's address first, and for
# v2 the SNI (authority) and SSL TLVs (version, cipher, client certificate flags and CN). The upstream
# here (pp_upstream.py) decodes the header independently and echoes it as JSON.
source "$(dirname "$0")/lib.sh"

pp_start() {
  UP_PORT=$(free_port)
  "$PY" "$IT_DIR/pp_upstream.py" --port "$UP_PORT" >>"$CG_TMP/upstream.log" 2>&1 &
  _register_aux $!
  wait_port "$UP_PORT" 10 || fail "PROXY upstream did not start"
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" "$@"
}

# pp_get [curl args...] : the JSON the upstream decoded, from a request via SNI alpha.test.
pp_get() {
  curl -s --max-time 5 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" "$@" "https://alpha.test:$CG_PORT/"
}

# field JSON PATH : one value out of the JSON (python, dotted path).
field() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."): v=v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1" "$2"; }

case_v1_carries_the_client_address() {
  pp_start --proxy-protocol v1
  local out port
  out=$(curl -s --max-time 5 --local-port 0 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" \
    -w '\n%{local_port}' "https://alpha.test:$CG_PORT/")
  port=$(tail -n 1 <<<"$out"); out=$(head -n 1 <<<"$out")
  note "decoded: $out"
  assert_eq 1 "$(field "$out" version)" "PROXY version"
  assert_eq TCP4 "$(field "$out" proto)" "protocol"
  assert_eq 127.0.0.1 "$(field "$out" src)" "source address"
  assert_eq "$port" "$(field "$out" sport)" "source port = the client's port"
  assert_eq "$CG_PORT" "$(field "$out" dport)" "destination port = certgate's listener"
}

case_v2_carries_sni_and_tls_details() {
  pp_start --proxy-protocol v2
  local out
  out=$(pp_get --tlsv1.3)
  note "decoded: $out"
  assert_eq 2 "$(field "$out" version)" "PROXY version"
  assert_eq 127.0.0.1 "$(field "$out" src)" "source address"
  assert_eq alpha.test "$(field "$out" authority)" "authority TLV (SNI)"
  assert_eq TLSv1.3 "$(field "$out" ssl.version)" "SSL version sub-TLV"
  assert_eq TLS_AES_128_GCM_SHA256 "$(field "$out" ssl.cipher)" "SSL cipher sub-TLV"
  assert_eq 1 "$(field "$out" ssl.client)" "client flags: TLS, no certificate"
  assert_eq "" "$(field "$out" ssl.cn)" "no CN without a client certificate"
}

case_v2_reports_a_verified_client_certificate() {
  local d="$CG_TMP/client"
  mkdir -p "$d"
  cp "$CG_PKI/ca.crt" "$CG_PKI/ca.key" "$d/"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl.key" -out "$d/cl.csr" \
    -subj "/CN=billing-client" 2>/dev/null || fail "client key"
  printf 'extendedKeyUsage=clientAuth\n' > "$d/ext"
  openssl x509 -req -in "$d/cl.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial 0x1234 -days 5 -extfile "$d/ext" \
    -out "$d/cl.crt" 2>/dev/null || fail "client certificate"
  pp_start --proxy-protocol v2 --client-ca "$d/ca.crt"
  local out
  out=$(pp_get --cert "$d/cl.crt" --key "$d/cl.key")
  note "decoded: $out"
  assert_eq 3 "$(field "$out" ssl.client)" "client flags: TLS + certificate on this connection"
  assert_eq 0 "$(field "$out" ssl.verify)" "verify = 0 (verified)"
  assert_eq billing-client "$(field "$out" ssl.cn)" "client CN sub-TLV"
}

case_no_header_without_the_option() {
  pp_start
  local out
  out=$(pp_get)
  assert_contains "$out" "bad PROXY header" "the upstream saw no PROXY header"
}

run_cases "$@"
