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

# The certgate configurations shipped under config/ and deploy/ (every YAML file with a top-level cert-dir
# key), except deploy/kubernetes, whose certgate.yaml takes its upstream and admin token from the pod
# (Tests/deploy/test_kubernetes.sh checks it rendered).
shipped_configs() {
  (cd "$REPO_ROOT" && grep -rlE --include='*.yaml' '^cert-dir:' config deploy | grep -v '^deploy/kubernetes/' | sort)
}

case_shipped_examples_pass_in_a_clean_checkout() {
  # A copy of config/ and deploy/ as a fresh clone has them: no run/ beside them (scripts/run makes it).
  local clone="$CG_TMP/clone" cfg
  mkdir -p "$clone"
  cp -r "$REPO_ROOT/config" "$REPO_ROOT/deploy" "$clone/"
  [ ! -e "$clone/run" ] || fail "$clone/run exists"
  local configs; configs=$(shipped_configs)
  for cfg in config/certgate.yaml config/example.yaml deploy/systemd/certgate.yaml; do
    assert_contains "$configs" "$cfg" "shipped configurations found"
  done
  for cfg in $configs; do
    run_check --config "$clone/$cfg"
    assert_eq 0 "$CHECK_RC" "exit status of check --config $cfg in a clean checkout"
    assert_eq "" "$CHECK_ERR" "stderr of check --config $cfg"
    # (An absolute cert-dir such as /etc/certgate/certs may exist on a machine where certgate is installed.)
    if ! grep -qE '^cert-dir: /' "$clone/$cfg" || [ ! -e "$(sed -n 's/^cert-dir: *\([^ #]*\).*/\1/p' "$clone/$cfg")" ]; then
      assert_match "$CHECK_OUT" "^warning: --cert-dir .* does not exist" "$cfg: the missing cert-dir is a warning"
    fi
    assert_match "$CHECK_OUT" '^ok: ' "$cfg: last line"
  done
}

case_missing_cert_dir_is_an_error_unless_the_configuration_says_so() {
  run_check --cert-dir "$CG_TMP/nowhere"
  assert_eq 1 "$CHECK_RC" "exit status with a missing --cert-dir"
  assert_contains "$CHECK_ERR" "$CG_TMP/nowhere" "stderr names the directory"
  std_certs "$CG_TMP/certs"
  run_check --cert-dir "$CG_TMP/nowhere" --cert-dir "$CG_TMP/certs" --check-missing-cert-dir
  assert_eq 0 "$CHECK_RC" "exit status with --check-missing-cert-dir and one directory present"
  assert_contains "$CHECK_OUT" "warning: --cert-dir $CG_TMP/nowhere does not exist" "stdout"
  expect_cert_line alpha "alpha.test" ECDSA-P256 "$CG_TMP/certs/alpha.pem" alpha default
}

case_print_config_shows_the_effective_values() {
  std_certs "$CG_TMP/certs"
  printf 's3cret-admin-token\n' > "$CG_TMP/token"
  printf '%s\n' 'listen: 127.0.0.1:1' 'upstream: 127.0.0.1:9' 'cert-dir: certs' 'admin: 127.0.0.1:2' \
    'admin-token-file: token' 'connect-timeout: 5s' 'workers: 3' > "$CG_TMP/cfg.yaml"
  run_check --config "$CG_TMP/cfg.yaml" --print-config --connect-timeout 7s
  assert_eq 0 "$CHECK_RC" "exit status"
  local conf; conf=$(printf '%s\n' "$CHECK_OUT" | sed -n '/^# effective configuration$/,/^[^ #][^:]* names=/p')
  assert_match "$conf" '^connect-timeout: 7s$' "the flag wins over the file's 5s"
  assert_match "$conf" '^workers: 3$' "the file's workers"
  assert_match "$conf" '^listen: "?127\.0\.0\.1:1"?$' "listen"
  assert_contains "$conf" "$CG_TMP/certs" "cert-dir resolved against the file's directory"
  assert_contains "$conf" "$CG_TMP/token" "admin-token-file as a path"
  assert_not_contains "$CHECK_OUT" "s3cret-admin-token" "stdout (never the token itself)"
  assert_match "$conf" '^expiry-warning: 14d$' "a default"
  run_check --config "$CG_TMP/cfg.yaml"
  assert_not_contains "$CHECK_OUT" "effective configuration" "stdout without --print-config"
}

case_certificate_inside_expiry_warning_exits_2() {
  std_certs "$CG_TMP/certs"
  leaf_dated soon "DNS:soon.test" "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+5 days' +%Y%m%d%H%M%SZ)"
  cp "$CG_TMP/new/soon.pem" "$CG_TMP/certs/soon.pem"
  run_check --cert-dir "$CG_TMP/certs"
  assert_eq 2 "$CHECK_RC" "exit status with a certificate expiring in 5 days (expiry-warning 14d)"
  assert_match "$CHECK_OUT" "^warning: certificate 'soon' \($CG_TMP/certs/soon.pem\) expires in (4d 23h|5d 0h), at " "warning line"
  assert_eq 1 "$(printf '%s\n' "$CHECK_OUT" | grep -c '^warning: certificate ')" "certificates warned about"
  assert_match "$(line_for soon)" "not-after=" "soon is listed"
  assert_match "$CHECK_OUT" '^ok: ' "check still reports ok"
  run_check --cert-dir "$CG_TMP/certs" --expiry-warning 4d
  assert_eq 0 "$CHECK_RC" "exit status with --expiry-warning 4d"
  assert_not_contains "$CHECK_OUT" "warning:" "stdout with --expiry-warning 4d"
  run_check --cert-dir "$CG_TMP/certs" --expiry-warning 0
  assert_eq 0 "$CHECK_RC" "exit status with --expiry-warning 0 (off)"
  echo "garbage" > "$CG_TMP/certs/broken.pem"
  run_check --cert-dir "$CG_TMP/certs"
  assert_eq 1 "$CHECK_RC" "exit status with an expiring and a broken certificate (errors win)"
}

case_unresolvable_upstream_is_a_warning() {
  std_certs "$CG_TMP/certs"
  run_check --listen 127.0.0.1:1 --upstream nonexistent.invalid:8080 --cert-dir "$CG_TMP/certs"
  assert_eq 0 "$CHECK_RC" "exit status with an upstream name that does not resolve"
  assert_eq "" "$CHECK_ERR" "stderr"
  assert_match "$CHECK_OUT" '^warning: --upstream nonexistent\.invalid:8080: ' "warning line"
  assert_match "$CHECK_OUT" '^ok: ' "last line"
}

run_cases "$@"
