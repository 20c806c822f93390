#!/usr/bin/env bash
# Every start-up error: exit status 1 and exactly one stderr line "certgate: error: ..." naming the
# file, flag or key, with a keyword saying what is wrong. Never a trap, never a stack trace.
source "$(dirname "$0")/lib.sh"

# expect_error WHAT_FIXED KEYWORD_ERE CERTGATE_ARGS... : run certgate and check the failure.
#   WHAT_FIXED   fixed string the error line must contain (the path, flag, key or address)
#   KEYWORD_ERE  case-insensitive ERE the error line must match (what is wrong)
expect_error() {
  local what=$1 kw=$2; shift 2
  local rc=0
  note "run: certgate $*"
  timeout 15 "${CG_RUNAS[@]}" "$CG_BIN" "$@" >"$CG_TMP/out" 2>"$CG_TMP/err" </dev/null || rc=$?
  note "exit status $rc; stderr:"; sed 's/^/#   | /' "$CG_TMP/err"
  [ $rc -ne 124 ] || fail "certgate did not exit within 15 s (it should have refused to start)"
  [ $rc -lt 128 ] || fail "certgate died from signal $((rc - 128)) (a trap or crash), expected exit status 1"
  assert_eq 1 "$rc" "exit status"
  local err lines
  err=$(cat "$CG_TMP/err")
  lines=$(grep -c . "$CG_TMP/err")
  assert_not_contains "$err" "Fatal error" "stderr"
  assert_not_contains "$err" "Stack dump" "stderr"
  assert_eq 1 "$lines" "number of (non-empty) stderr lines"
  assert_match "$err" '^certgate: error: ' "stderr line prefix"
  assert_contains "$err" "$what" "error line (names the thing)"
  assert_imatch "$err" "$kw" "error line (says what is wrong)"
}

CG_RUNAS=()

# A valid baseline so that only the thing under test is wrong.
base() {
  UP_PORT=$(free_port); CG_PORT=$(free_port)
  std_certs "$CG_TMP/certs"
  BASE=(run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT")
}

case_missing_cert_file() {
  base
  expect_error "$CG_TMP/nope/site.crt" 'no such|not found|missing|does not exist|cannot open|not exist' \
    "${BASE[@]}" --cert "$CG_TMP/nope/site.crt" --key "$CG_PKI/alpha.key"
}

case_missing_key_file() {
  base
  expect_error "$CG_TMP/nope/site.key" 'no such|not found|missing|does not exist|cannot open|not exist' \
    "${BASE[@]}" --cert "$CG_PKI/alpha.crt" --key "$CG_TMP/nope/site.key"
}

case_missing_cert_dir() {
  base
  expect_error "$CG_TMP/no-such-dir" 'no such|not found|missing|does not exist|cannot open|not exist' \
    "${BASE[@]}" --cert-dir "$CG_TMP/no-such-dir"
}

# Root reads anything, so the unreadable cases run certgate as "nobody" (setpriv); skipped if impossible.
as_nobody() {
  [ "$(id -u)" = 0 ] || { CG_RUNAS=(); return 0; }
  command -v setpriv >/dev/null || skip "running as root and setpriv is missing: cannot make a file unreadable"
  id nobody >/dev/null 2>&1 || skip "running as root and there is no user 'nobody'"
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$CG_BIN" 2>/dev/null \
    || skip "running as root and 'nobody' cannot execute $CG_BIN"
  CG_RUNAS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chmod 755 "$CG_TMP"
  chmod -R a+rX "$CG_TMP/certs"
}

case_unreadable_file() {
  base
  as_nobody
  chmod 000 "$CG_TMP/certs/exact.pem"
  "${CG_RUNAS[@]}" cat "$CG_TMP/certs/exact.pem" >/dev/null 2>&1 && skip "cannot make a file unreadable here"
  expect_error "$CG_TMP/certs/exact.pem" 'permission|denied|unreadable|cannot read|not readable' \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_unreadable_dir() {
  base
  as_nobody
  chmod 000 "$CG_TMP/certs"
  "${CG_RUNAS[@]}" ls "$CG_TMP/certs" >/dev/null 2>&1 && skip "cannot make a directory unreadable here"
  expect_error "$CG_TMP/certs" 'permission|denied|unreadable|cannot read|not readable' \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_bad_pem() {
  base
  head -c 600 /dev/urandom | base64 > "$CG_TMP/certs/bad.pem"
  expect_error "$CG_TMP/certs/bad.pem" 'pem|certificate|parse' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_truncated_pem() {
  base
  head -n 5 "$CG_PKI/other.crt" > "$CG_TMP/certs/trunc.pem"; cat "$CG_PKI/other.key" >> "$CG_TMP/certs/trunc.pem"
  expect_error "$CG_TMP/certs/trunc.pem" 'pem|certificate|parse' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_empty_file() {
  base
  : > "$CG_TMP/certs/empty.pem"
  expect_error "$CG_TMP/certs/empty.pem" 'empty|no certificate|certificate|pem' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_pem_without_key() {
  base
  cat "$CG_PKI/other.crt" > "$CG_TMP/certs/nokey.pem"
  expect_error "$CG_TMP/certs/nokey.pem" 'key' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_key_mismatch_crt_key_pair() {
  base
  cp "$CG_PKI/other.crt" "$CG_TMP/certs/mismatch.crt"; cp "$CG_PKI/hidden.key" "$CG_TMP/certs/mismatch.key"
  expect_error "$CG_TMP/certs/mismatch." 'match' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_key_mismatch_pem() {
  base
  cat "$CG_PKI/other.crt" "$CG_PKI/hidden.key" > "$CG_TMP/certs/mismatch.pem"
  expect_error "$CG_TMP/certs/mismatch.pem" 'match' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_key_mismatch_flags() {
  base
  expect_error "$CG_PKI/other." 'match' "${BASE[@]}" --cert "$CG_PKI/other.crt" --key "$CG_PKI/zulu.key"
}

case_cert_dir_without_certificates() {
  base
  mkdir -p "$CG_TMP/void"
  echo "not a certificate" > "$CG_TMP/void/README"
  cert_install alpha:pem:.hidden "$CG_TMP/void"
  expect_error "$CG_TMP/void" 'no certificate|certificate' "${BASE[@]}" --cert-dir "$CG_TMP/void"
}

case_no_certificate_source_at_all() {
  base
  expect_error "cert" 'no certificate|certificate|required|missing' "${BASE[@]}"
}

case_listen_address_in_use() {
  base
  "$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
print("bound", flush=True); time.sleep(60)' "$CG_PORT" > "$CG_TMP/blocker.out" 2>&1 &
  _register_aux $!
  wait_port "$CG_PORT" 5 || fail "blocker did not bind $CG_PORT"
  expect_error "127.0.0.1:$CG_PORT" 'in use' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_admin_address_in_use() {
  base
  local ap; ap=$(free_port)
  "$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
time.sleep(60)' "$ap" > /dev/null 2>&1 &
  _register_aux $!
  wait_port "$ap" 5 || fail "blocker did not bind $ap"
  expect_error "127.0.0.1:$ap" 'in use' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$ap"
}

case_unparsable_upstream() {
  base
  expect_error "nonsense" 'upstream' run --listen "127.0.0.1:$CG_PORT" --upstream nonsense --cert-dir "$CG_TMP/certs"
}

case_unparsable_listen() {
  base
  expect_error "127.0.0.1:notaport" 'listen' run --listen "127.0.0.1:notaport" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
}

case_unparsable_duration() {
  base
  expect_error "5x" 'connect-timeout|duration' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --connect-timeout 5x
}

case_duration_near_misses() {
  base
  expect_error "--connect-timeout" "'5S' is not a duration; write 5s" \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs" --connect-timeout 5S
  expect_error "--handshake-timeout" "'5 s' is not a duration; write 5s" \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs" --handshake-timeout "5 s"
}

case_duration_upper_bounds() {
  base
  expect_error "--handshake-timeout" 'too long.*at most 5m' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --handshake-timeout 10m
  expect_error "--idle-timeout" 'too long.*at most 7d' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --idle-timeout 8d
  printf 'reload-interval: 30d\n' > "$CG_TMP/cfg.yaml"
  expect_error "reload-interval" 'too long.*at most 7d' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/cfg.yaml"
}

case_unknown_yaml_key() {
  base
  printf 'frobnicate_level: 3\n' > "$CG_TMP/cfg.yaml"
  expect_error "frobnicate_level" 'unknown|unexpected|not a valid|unrecognized|invalid' \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/cfg.yaml"
}

case_missing_config_file() {
  base
  expect_error "$CG_TMP/missing.yaml" 'no such|not found|missing|does not exist|cannot open|not exist' \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/missing.yaml"
}

case_bad_workers() {
  base
  expect_error "--workers" 'workers|auto|number' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --workers lots
}

case_bad_max_connections() {
  base
  expect_error "--max-connections" 'not a number or auto' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --max-connections lots
  expect_error "--max-connections" 'out of range.*between 1 and' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --max-connections 0
}

case_bad_min_tls() {
  base
  expect_error "--min-tls" '1\.2|1\.3|version' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --min-tls 1.1
}

case_bad_groups() {
  base
  expect_error "--groups" "P-999.*X25519:P-999" "${BASE[@]}" --cert-dir "$CG_TMP/certs" --groups X25519:P-999
  expect_error "--groups" "empty group name" "${BASE[@]}" --cert-dir "$CG_TMP/certs" --groups X25519::P-256
}

case_no_flag_takes_no_value() {
  base
  expect_error "--no-strict-sni" 'takes no value' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --no-strict-sni=true
}

case_bad_admin_insecure() {
  base
  expect_error "--admin-insecure" 'takes no value' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --admin-insecure=maybe
  CERTGATE_ADMIN_INSECURE=maybe expect_error "CERTGATE_ADMIN_INSECURE" 'maybe' "${BASE[@]}" --cert-dir "$CG_TMP/certs"
}

case_bad_check_missing_cert_dir() {
  base
  expect_error "--check-missing-cert-dir" 'takes no value' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --check-missing-cert-dir=maybe
  printf 'check-missing-cert-dir: maybe\n' > "$CG_TMP/cfg.yaml"
  expect_error "check-missing-cert-dir" 'maybe' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/cfg.yaml"
}

case_bad_ocsp_settings() {
  base
  expect_error "--ocsp-fetch" 'takes no value' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --ocsp-fetch=maybe
  expect_error "--ocsp-dir $CG_TMP/no-such-dir" 'not a directory' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --ocsp-dir "$CG_TMP/no-such-dir"
  expect_error "--ocsp-dir" 'empty path' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --ocsp-dir ""
}

case_bad_access_log() {
  base
  expect_error "--access-log" 'off|text|json|format' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --access-log yes
}

case_access_log_file_unwritable() {
  base
  expect_error "--access-log-file $CG_TMP/nope/access.log" 'no such|not exist' "${BASE[@]}" \
    --cert-dir "$CG_TMP/certs" --access-log json --access-log-file "$CG_TMP/nope/access.log"
}

case_bad_log_format() {
  base
  expect_error "--log-format" 'text|json|format' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --log-format xml
}

case_bad_idle_timeout() {
  base
  expect_error "--idle-timeout" 'duration|off' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --idle-timeout forever
}

case_idle_timeout_too_short() {
  base
  expect_error "--idle-timeout" 'too short|at least' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --idle-timeout 10ms
}

case_bad_upstream_resolve_interval() {
  base
  expect_error "--upstream-resolve-interval" 'duration|off' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --upstream-resolve-interval sometimes
  expect_error "--upstream-resolve-interval" 'too short|at least' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --upstream-resolve-interval 500ms
  expect_error "--upstream-resolve-interval" 'too long.*at most 1h' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --upstream-resolve-interval 2h
}

case_bad_tcp_keepalive() {
  base
  expect_error "--tcp-keepalive" 'true|false' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --tcp-keepalive maybe
}

case_bad_shutdown_delay() {
  base
  expect_error "--shutdown-delay" 'out of range|between' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --shutdown-delay 2h
}

case_bad_yaml_value() {
  base
  printf 'connect-timeout: soon\n' > "$CG_TMP/cfg.yaml"
  expect_error "connect-timeout" 'soon|duration|unit' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/cfg.yaml"
}

case_yaml_syntax_error() {
  base
  printf 'listen: [unclosed\n  upstream: : :\n' > "$CG_TMP/cfg.yaml"
  expect_error "$CG_TMP/cfg.yaml" 'yaml|parse|syntax|invalid' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --config "$CG_TMP/cfg.yaml"
}

case_cert_without_key() {
  base
  expect_error "--key" 'key' "${BASE[@]}" --cert "$CG_PKI/alpha.crt"
}

case_default_cert_unknown() {
  base
  expect_error "nosuchcert" 'default|unknown|not found|no certificate' \
    "${BASE[@]}" --cert-dir "$CG_TMP/certs" --default-cert nosuchcert
}

case_bad_ticket_keys() {
  base
  local good bad
  good=$(head -c 80 /dev/urandom | base64 -w0)
  printf '%s\n%s\n' "$good" 'not base64 at all!' >"$CG_TMP/bad64.keys"
  expect_error "$CG_TMP/bad64.keys line 2" 'not valid base64' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --ticket-keys "$CG_TMP/bad64.keys"
  head -c 48 /dev/urandom | base64 -w0 >"$CG_TMP/short.keys"
  expect_error "$CG_TMP/short.keys line 1" '48 bytes, not 80' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --ticket-keys "$CG_TMP/short.keys"
  printf '\r\n\n' >"$CG_TMP/empty.keys"
  expect_error "$CG_TMP/empty.keys" 'holds no key' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --ticket-keys "$CG_TMP/empty.keys"
  expect_error "$CG_TMP/none.keys" 'no such|not found|does not exist' "${BASE[@]}" --cert-dir "$CG_TMP/certs" \
    --ticket-keys "$CG_TMP/none.keys"
  # The error names the file and line, never what is in it.
  bad=$(head -c 79 /dev/urandom | base64 -w0)
  echo "$bad" >"$CG_TMP/79.keys"
  expect_error "$CG_TMP/79.keys line 1" '79 bytes' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --ticket-keys "$CG_TMP/79.keys"
  assert_not_contains "$(cat "$CG_TMP/err")" "$bad" "error line (no key material)"
}

case_bad_ticket_lifetime() {
  base
  expect_error "--ticket-lifetime" 'between 1s and 7d' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --ticket-lifetime 8d
  expect_error "--ticket-lifetime" 'between 1s and 7d' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --ticket-lifetime 0s
  expect_error "--tickets" 'true|false' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --tickets maybe
}

# HTTP/2: terminated (--upstream-protocol http1, the default) it cannot carry one client's PROXY header on
# pooled upstream connections; passed through to an h2c upstream it cannot go with --forward-headers.
case_http2_combinations() {
  base
  expect_error "--alpn" 'proxy-protocol' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 --proxy-protocol v2
  expect_error "--upstream-protocol" 'forward-headers' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 \
    --upstream-protocol h2c --forward-headers
  expect_error "--upstream-protocol" 'not an upstream protocol' "${BASE[@]}" --cert-dir "$CG_TMP/certs" --upstream-protocol h3
}

run_cases "$@"
