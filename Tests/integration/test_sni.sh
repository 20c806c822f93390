#!/usr/bin/env bash
# SNI rules: which certificate is served for which server name.
# Certificates (see std_certs): alpha (alpha.test, first by name = default), exact (exact.example.com),
# wild (*.example.com), cnonly (CN=cnonly.example.com, no SAN), zulu (zulu.test, RSA). With --strict-sni
# unknown names (and no name among several certificates) are refused; names that are not DNS host names
# always are.
source "$(dirname "$0")/lib.sh"

case_exact_name() {
  std_start
  assert_served alpha.test cg-alpha
  assert_served zulu.test cg-zulu
  assert_served exact.example.com cg-exact
  # A verifying client (curl checks the chain and the name) gets through to the upstream.
  assert_hello exact.example.com
  assert_hello zulu.test
}

case_wildcard_matches_one_label() {
  std_start
  assert_served a.example.com cg-wild
  assert_served some-host.example.com cg-wild
  assert_hello a.example.com
}

case_wildcard_not_two_labels() {
  std_start
  assert_served b.a.example.com cg-alpha
}

case_wildcard_not_apex() {
  std_start
  assert_served example.com cg-alpha
}

case_exact_beats_wildcard() {
  std_start
  assert_served exact.example.com cg-exact
  assert_served EXACT.Example.COM cg-exact
  cg_stop
  # Same again with the wildcard certificate sorting first by name, so order cannot be what decides.
  rm -rf "$CG_TMP/certs2"
  cert_install wild:pem:0-wildcard exact:pem:zz-exact "$CG_TMP/certs2"
  CG_PORT=""
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs2"
  assert_served exact.example.com cg-exact
  assert_served other.example.com cg-wild
}

case_cn_only_certificate() {
  std_start
  assert_served cnonly.example.com cnonly.example.com
  assert_served CNONLY.EXAMPLE.COM cnonly.example.com
}

case_uppercase_sni() {
  std_start
  assert_served A.EXAMPLE.COM cg-wild
  assert_served ALPHA.TEST cg-alpha
  assert_served Zulu.Test cg-zulu
}

case_uppercase_name_in_certificate() {
  # Case-insensitive both ways: the certificate's SANs are MiXeD.CaSe.TeSt and *.WiLd.CaSe.TeSt.
  up_start http
  cert_install alpha:pem mixed:pem "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_served mixed.case.test cg-mixed
  assert_served x.wild.case.test cg-mixed
  assert_served X.WILD.CASE.TEST cg-mixed
  assert_served a.b.wild.case.test cg-alpha
}

case_serial_identifies_the_certificate() {
  std_start
  assert_eq "$(cert_serial "$CG_PKI/exact.crt")" "$(served_serial "$CG_PORT" exact.example.com)" "serial served for exact.example.com"
  assert_eq "$(cert_serial "$CG_PKI/wild.crt")" "$(served_serial "$CG_PORT" a.example.com)" "serial served for a.example.com"
}

case_no_sni_gets_default() {
  std_start
  assert_served "" cg-alpha
}

case_unknown_name_gets_default() {
  std_start
  assert_served unknown.test cg-alpha
  assert_served alpha.test.evil cg-alpha
}

case_default_cert_flag() {
  std_start --default-cert zulu
  assert_served "" cg-zulu
  assert_served unknown.test cg-zulu
  assert_served b.a.example.com cg-zulu
  assert_served example.com cg-zulu
  # Names that match still get their own certificate.
  assert_served alpha.test cg-alpha
  assert_served a.example.com cg-wild
}

case_default_is_first_by_name() {
  up_start http
  # Two directories; the first one given holds the names that sort last, and files are created in
  # reverse order: only sorting by name makes "bravo" the default.
  cert_install zulu:pem:zulu other:pem:mike "$CG_TMP/d1"
  cert_install alpha:pem:bravo "$CG_TMP/d2"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/d1" --cert-dir "$CG_TMP/d2"
  assert_served "" cg-alpha
  assert_served unknown.test cg-alpha
  assert_served other.test cg-other
}

# strict_refused SNI : the handshake for SNI ("" = none) must fail with a fatal unrecognized_name alert.
strict_refused() {
  local opt
  if [ -n "$1" ]; then opt=(-servername "$1"); else opt=(-noservername); fi
  if tls_try "$CG_TMP/hs" -connect "127.0.0.1:$CG_PORT" "${opt[@]}"; then
    fail "handshake for SNI '${1:-<none>}' was accepted under --strict-sni"
  fi
  assert_contains "$(cat "$CG_TMP/hs")" "unrecognized name" "s_client's error for SNI '${1:-<none>}'"
}

case_strict_sni_refuses_unknown_names() {
  std_start --strict-sni
  assert_served alpha.test cg-alpha
  assert_served A.EXAMPLE.COM cg-wild
  assert_served cnonly.example.com cnonly.example.com
  assert_hello exact.example.com
  strict_refused unknown.test
  strict_refused b.a.example.com
  # Several certificates: a client without SNI has none of its own.
  strict_refused ""
  assert_cg_alive "the refused handshakes"
}

case_strict_sni_one_certificate_serves_clients_without_sni() {
  up_start http
  cert_install exact:pem "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --strict-sni
  assert_served "" cg-exact
  assert_served exact.example.com cg-exact
  strict_refused unknown.test
}

case_invalid_server_names_are_refused() {
  std_start
  # OpenSSL's client sends whatever name it is given: a space and a UTF-8 name are not DNS host names.
  local name
  for name in "alpha test" "alph$(printf '\xc3\xa4').test"; do
    if tls_try "$CG_TMP/hs" -connect "127.0.0.1:$CG_PORT" -servername "$name"; then
      fail "handshake for SNI '$name' was accepted"
    fi
    assert_contains "$(cat "$CG_TMP/hs")" "illegal parameter" "s_client's error for SNI '$name'"
  done
  assert_served alpha.test cg-alpha
}

run_cases "$@"
