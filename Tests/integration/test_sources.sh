#!/usr/bin/env bash
# Certificate sources: NAME.pem, NAME.crt + NAME.key, Kubernetes secret directories, dot entries,
# --cert/--key pairs. Names are checked in `certgate check` output, serving with real handshakes.
source "$(dirname "$0")/lib.sh"

# check_names ARGS... : the NAME column of `certgate check ARGS`, sorted, space-separated.
check_names() {
  local out rc=0
  out=$("$CG_BIN" check --listen 127.0.0.1:1 --upstream 127.0.0.1:9 "$@" 2>"$CG_TMP/check.err") || rc=$?
  [ $rc -eq 0 ] || fail "certgate check $* exited $rc: $(cat "$CG_TMP/check.err")"
  printf '%s\n' "$out" | grep -E '^[^ ]+ names=' | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//'
}

case_pem_with_chain_and_key() {
  up_start http
  cert_install chained:pem alpha:pem "$CG_TMP/certs"
  assert_eq "alpha chained" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served chained.test cg-chained
  # The intermediate from the .pem is served too: 2 certificates, and a client trusting only the root verifies.
  local n
  n=$(timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername chained.test -showcerts </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE')
  assert_eq 2 "$n" "certificates in the served chain"
  assert_hello chained.test
}

case_crt_and_key_pair() {
  up_start http
  cert_install crtkey:crtkey alpha:pem "$CG_TMP/certs"
  assert_eq "alpha crtkey" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served crtkey.test cg-crtkey
  assert_hello crtkey.test
}

case_kubernetes_secret_dir() {
  up_start http
  cert_install alpha:pem kube:kube:web "$CG_TMP/certs"
  # The same layout with the PKCS#1 RSA key cert-manager writes.
  kube_secret_dir "$CG_TMP/certs/api" "$CG_PKI/kubersa.crt" "$CG_PKI/kubersa.pkcs1.key"
  note "layout: $(cd "$CG_TMP/certs/web" && ls -la | awk 'NR>1{print $NF, $(NF-1), $(NF-2)}' | tr '\n' ';')"
  assert_eq "alpha api web" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names (directory names)"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served kube.test cg-kube
  assert_served kubersa.test cg-kubersa
  assert_hello kube.test
}

case_secret_volume_as_cert_dir() {
  # A secret volume mounted directly as the cert dir: ..data and the timestamped directory are dot
  # entries (ignored); the tls.crt + tls.key symlinks form the pair named "tls". (Without ca.crt: a
  # lone ca.crt is not a certificate to serve; the supported way to mount a full secret is NAME/.)
  up_start http
  kube_secret_dir "$CG_TMP/secret" "$CG_PKI/kube.crt" "$CG_PKI/kube.key" noca
  assert_eq "tls" "$(check_names --cert-dir "$CG_TMP/secret")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/secret"
  assert_served kube.test cg-kube
}

case_dot_entries_ignored() {
  up_start http
  cert_install alpha:pem "$CG_TMP/certs"
  cert_install hidden:pem:.hidden "$CG_TMP/certs"                 # a valid certificate, but hidden
  echo "this is not PEM" > "$CG_TMP/certs/.broken.pem"              # garbage that must not be read
  : > "$CG_TMP/certs/.empty.crt"; : > "$CG_TMP/certs/.empty.key"
  mkdir -p "$CG_TMP/certs/.staging"; echo junk > "$CG_TMP/certs/.staging/tls.crt"; echo junk > "$CG_TMP/certs/.staging/tls.key"
  cert_install hidden:crtkey:.swp "$CG_TMP/certs"
  assert_eq "alpha" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served hidden.test cg-alpha
  assert_served alpha.test cg-alpha
}

case_cert_key_flag_pairs() {
  up_start http
  mkdir -p "$CG_TMP/x/keys"
  cp "$CG_PKI/flag.crt" "$CG_TMP/x/site-one.crt"; cp "$CG_PKI/flag.key" "$CG_TMP/x/keys/first.key"
  cat "$CG_PKI/flagtwo.crt" > "$CG_TMP/x/site-two.pem"; cp "$CG_PKI/flagtwo.key" "$CG_TMP/x/keys/second.key"
  local pairs=(--cert "$CG_TMP/x/site-two.pem" --key "$CG_TMP/x/keys/second.key"
               --cert "$CG_TMP/x/site-one.crt" --key "$CG_TMP/x/keys/first.key")
  assert_eq "site-one site-two" "$(check_names "${pairs[@]}")" "certificate names (cert file stems)"
  cg_start --upstream "127.0.0.1:$UP_PORT" "${pairs[@]}"
  assert_served flag.test cg-flag
  assert_served flagtwo.test cg-flagtwo
  assert_served "" cg-flag   # site-one is first by name
  assert_hello flagtwo.test
}

case_flags_and_dirs_together() {
  up_start http
  cert_install alpha:pem "$CG_TMP/d1"
  cert_install crtkey:crtkey "$CG_TMP/d2"
  local args=(--cert-dir "$CG_TMP/d1" --cert-dir "$CG_TMP/d2" --cert "$CG_PKI/flag.crt" --key "$CG_PKI/flag.key")
  assert_eq "alpha crtkey flag" "$(check_names "${args[@]}")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" "${args[@]}"
  assert_served alpha.test cg-alpha
  assert_served crtkey.test cg-crtkey
  assert_served flag.test cg-flag
}

case_traditional_key_encodings() {
  up_start http
  mkdir -p "$CG_TMP/certs"
  cp "$CG_PKI/crtkey.crt" "$CG_TMP/certs/ec.crt"; cp "$CG_PKI/crtkey.sec1.key" "$CG_TMP/certs/ec.key"        # BEGIN EC PRIVATE KEY
  cp "$CG_PKI/kubersa.crt" "$CG_TMP/certs/rsa.crt"; cp "$CG_PKI/kubersa.pkcs1.key" "$CG_TMP/certs/rsa.key"  # BEGIN RSA PRIVATE KEY
  assert_eq "ec rsa" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served crtkey.test cg-crtkey
  assert_served kubersa.test cg-kubersa
}

case_pem_key_before_certificate() {
  up_start http
  cert_install alpha:pem crtkey:keyfirst:keyfirst "$CG_TMP/certs"
  assert_eq "alpha keyfirst" "$(check_names --cert-dir "$CG_TMP/certs")" "certificate names"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served crtkey.test cg-crtkey
}

run_cases "$@"
