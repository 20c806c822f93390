#!/usr/bin/env bash
# `certgate check`: validates without serving; prints one line per certificate:
#   NAME names=a,b key=ECDSA-P256 not-after=2026-12-13T10:00:00Z source=/path[ ocsp=...][ default]
source "$(dirname "$0")/lib.sh"

# run_check ARGS... : sets CHECK_RC, CHECK_OUT, CHECK_ERR. Like run, check takes the whole configuration,
# so --listen/--upstream are given (not bound or contacted) unless ARGS bring their own or a --config.
run_check() {
  CHECK_RC=0
  local addr=(--listen 127.0.0.1:1 --upstream 127.0.0.1:9)
  case " $* " in *" --listen "*|*" --config "*) addr=() ;; esac
  set -- "${addr[@]}" "$@"
  note "run: certgate check $*"
  timeout 20 "$CG_BIN" check "$@" >"$CG_TMP/check.out" 2>"$CG_TMP/check.err" </dev/null || CHECK_RC=$?
  CHECK_OUT=$(cat "$CG_TMP/check.out"); CHECK_ERR=$(cat "$CG_TMP/check.err")
  note "exit $CHECK_RC; stdout:"; sed 's/^/#   | /' "$CG_TMP/check.out"
  note "stderr:"; sed 's/^/#   | /' "$CG_TMP/check.err"
}

# line_for NAME : the output line of certificate NAME
line_for() { printf '%s\n' "$CHECK_OUT" | grep -E "^$1 names=" ; }

# field LINE KEY : value of KEY=VALUE in LINE
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

sorted_csv() { tr ',' '\n' | sort | paste -sd, -; }

# expect_cert_line NAME NAMES_CSV KEYTYPE SOURCE_PATH PKI_LEAF [default]
expect_cert_line() {
  local name=$1 names=$2 key=$3 src=$4 leaf=$5 dflt=${6:-}
  local line
  line=$(line_for "$name")
  [ -n "$line" ] || fail "no output line for certificate '$name'"
  [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "more than one line for '$name': $line"
  assert_eq "$(printf '%s' "$names" | sorted_csv)" "$(field "$line" names | sorted_csv)" "$name: names (as a set)"
  assert_eq "$key" "$(field "$line" key)" "$name: key"
  assert_eq "$(cert_not_after_iso "$CG_PKI/$leaf.crt")" "$(field "$line" not-after)" "$name: not-after"
  assert_eq "$src" "$(field "$line" source)" "$name: source"
  if [ "$dflt" = default ]; then
    assert_match "$line" ' default$' "$name: line marks the default"
  else
    assert_not_contains "$line" " default" "$name: line (not the default)"
  fi
}

case_good_certificates_exit_0() {
  local d="$CG_TMP/certs"
  std_certs "$d"
  cert_install multi:pem "$d"
  kube_secret_dir "$d/web" "$CG_PKI/kube.crt" "$CG_PKI/kube.key"
  run_check --cert-dir "$d"
  assert_eq 0 "$CHECK_RC" "exit status of check with good certificates"
  assert_eq 7 "$(printf '%s\n' "$CHECK_OUT" | grep -cE '^[^ ]+ names=')" "number of certificate lines"
  expect_cert_line alpha  "alpha.test"                                  ECDSA-P256 "$d/alpha.pem"  alpha  default
  expect_cert_line cnonly "cnonly.example.com"                          ECDSA-P256 "$d/cnonly.pem" cnonly
  expect_cert_line exact  "exact.example.com"                           ECDSA-P256 "$d/exact.pem"  exact
  expect_cert_line multi  "a.multi.test,b.multi.test,*.w.multi.test"    ECDSA-P256 "$d/multi.pem"  multi
  expect_cert_line wild   "*.example.com"                               ECDSA-P256 "$d/wild.crt"   wild
  expect_cert_line zulu   "zulu.test"                                   RSA-2048   "$d/zulu.pem"   zulu
  local web; web=$(line_for web)
  [ -n "$web" ] || fail "no line for the kubernetes secret directory 'web'"
  assert_eq "kube.test" "$(field "$web" names)" "web: names"
  assert_match "$(field "$web" source)" "^$d/web(/|$)" "web: source"
}

case_default_cert_marked() {
  std_certs "$CG_TMP/certs"
  run_check --cert-dir "$CG_TMP/certs" --default-cert zulu
  assert_eq 0 "$CHECK_RC" "exit status"
  assert_match "$(line_for zulu)" ' default$' "zulu line"
  assert_eq 1 "$(printf '%s\n' "$CHECK_OUT" | grep -c ' default$')" "lines marked default"
}

case_bad_certificate_exit_nonzero() {
  std_certs "$CG_TMP/certs"
  echo "garbage garbage garbage" > "$CG_TMP/certs/broken.pem"
  run_check --cert-dir "$CG_TMP/certs"
  assert_eq 1 "$CHECK_RC" "exit status of check with a bad certificate"
  assert_match "$CHECK_ERR" '^certgate: error: ' "stderr"
  assert_contains "$CHECK_ERR" "$CG_TMP/certs/broken.pem" "stderr names the file"
}

case_key_mismatch_exit_nonzero() {
  std_certs "$CG_TMP/certs"
  cp "$CG_PKI/other.crt" "$CG_TMP/certs/mm.crt"; cp "$CG_PKI/alpha.key" "$CG_TMP/certs/mm.key"
  run_check --cert-dir "$CG_TMP/certs"
  assert_eq 1 "$CHECK_RC" "exit status of check with a key that does not match"
  assert_contains "$CHECK_ERR" "$CG_TMP/certs/mm." "stderr names the file"
  assert_imatch "$CHECK_ERR" 'match' "stderr says what is wrong"
}

case_check_does_not_serve() {
  std_certs "$CG_TMP/certs"
  local p; p=$(free_port)
  local t0; t0=$(now_ms)
  run_check --cert-dir "$CG_TMP/certs" --listen "127.0.0.1:$p" --upstream 127.0.0.1:9
  assert_eq 0 "$CHECK_RC" "exit status"
  assert_le "$(( $(now_ms) - t0 ))" 10000 "milliseconds check took"
  port_closed "$p" || fail "something listens on 127.0.0.1:$p after check returned"
}

case_example_config() {
  local cfg="$REPO_ROOT/config/example.yaml"
  [ -f "$cfg" ] || fail "$cfg does not exist"
  std_certs "$CG_TMP/certs"
  run_check --config "$cfg" --cert-dir "$CG_TMP/certs"
  assert_eq 0 "$CHECK_RC" "exit status of check --config config/example.yaml --cert-dir <generated>"
  assert_match "$(line_for alpha)" "source=$CG_TMP/certs/alpha.pem" "alpha line"
}

case_shipped_config() {
  local cfg="$REPO_ROOT/config/certgate.yaml"
  [ -f "$cfg" ] || fail "$cfg does not exist"
  std_certs "$CG_TMP/certs"
  run_check --config "$cfg" --cert-dir "$CG_TMP/certs"
  assert_eq 0 "$CHECK_RC" "exit status of check --config config/certgate.yaml --cert-dir <generated>"
}

run_cases "$@"
