#!/usr/bin/env bash
# Hot certificate reload when the new material is bad: garbage, empty files, key mismatches, half pairs,
# expired or not-yet-valid certificates, the last certificate removed. The last good certificate keeps
# being served, the failure is logged once at error level naming the file, it is retried until it loads;
# POST /reload reports every source in JSON with 200 / 422.
source "$(dirname "$0")/lib.sh"

CERTS=""

# rf_start [certgate args] : HTTP upstream, the standard certificates (std_certs) in $CERTS, certgate with
# the admin listener, and one keep-alive connection ("main", alpha.test) opened before any rotation.
rf_start() {
  admin_init
  CERTS="$CG_TMP/certs"
  std_start "$@"
  ka_start main
}

# failed_reloads : failed reloads of the automatic triggers (inotify, stat, retry timer).
failed_reloads() { echo $(( $(reloads inotify failure) + $(reloads stat failure) + $(reloads timer failure) )); }
# auto_successes : successful reloads of the automatic triggers.
auto_successes() { echo $(( $(reloads inotify success) + $(reloads stat success) + $(reloads timer success) )); }

# broken_then_fixed FILE_WRITER ERE : write bad material into alpha.pem with FILE_WRITER (a function taking
# the path), check that alpha keeps its serial, the failure shows in the metrics and in exactly one error
# line naming the file (matching ERE, case-insensitive) while retries are logged at debug only; then a
# good certificate goes live and the gauges recover.
broken_then_fixed() {
  local writer=$1 ere=$2 old path
  rf_start --log-level debug
  path="$CERTS/alpha.pem"
  old=$(cert_serial "$CG_PKI/alpha.crt")
  "$writer" "$path"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 \
    || fail "certgate_cert_last_reload_successful did not drop to 0: $(metric certgate_cert_last_reload_successful)"
  note "ok: certgate_cert_last_reload_successful 0"
  assert_eq 1 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing"
  assert_ge "$(failed_reloads)" 1 "failed reloads (inotify + stat + timer)"
  # Long enough for retries at 0.5 s, 1.5 s (backoff 0.5 s, 1 s): still the old certificate all along.
  assert_serial_stays 2 alpha.test "$old"
  assert_served exact.example.com cg-exact
  local line
  line=$(grep -E '^[^ ]+ error ' "$CG_LOG" | grep -F "$path" || true)
  assert_eq 1 "$(log_errors "$path")" "error lines naming $path"
  assert_eq 1 "$(log_errors "")" "error lines in total"
  assert_contains "$line" "certificate reload failed; still serving the previous certificate" "the error line"
  assert_contains "$line" "serving_serial=$old" "the error line (what is still served)"
  assert_imatch "$line" "$ere" "the error line (what is wrong)"
  assert_ge "$(grep -E '^[^ ]+ debug ' "$CG_LOG" | grep -F 'certificate reload failed' | grep -cF "$path")" 1 \
    "retries logged at debug level"
  assert_ge "$(reloads timer failure)" 1 "certgate_cert_reloads_total{trigger=timer,result=failure} (retries)"
  # A SIGHUP re-reads the broken file: the same failure again, not logged again at error level.
  kill -HUP "$CG_PID"
  wait_for 3 metric_is certgate_cert_reloads_total 'trigger="signal",result="failure"' 1 || true
  assert_eq 1 "$(reloads signal failure)" "certgate_cert_reloads_total{trigger=signal,result=failure} after a SIGHUP"
  assert_eq 1 "$(log_errors "$path")" "error lines naming $path after the SIGHUP"
  assert_eq "$old" "$(served_serial "$CG_PORT" alpha.test)" "serial after the SIGHUP"
  ka_still_works main "the broken rotation"
  # A good certificate now: it goes live and everything recovers.
  leaf_new alpha1 "DNS:alpha.test"
  local s1; s1=$(cert_serial "$CG_TMP/new/alpha1.crt")
  replace_atomic "$CG_TMP/new/alpha1.pem" "$path"
  wait_serial 3 alpha.test "$s1"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  note "ok: certgate_cert_last_reload_successful 1 again"
  assert_eq 0 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing after the fix"
  assert_ge "$(auto_successes)" 1 "successful reloads (inotify + stat + timer) after the fix"
  assert_eq 1 "$(log_errors "")" "error lines in total (still the one)"
  ka_still_works main "the fix"
  ka_stop_all
}

write_garbage() { printf 'this is not a certificate\n-----BEGIN NONSENSE-----\n' > "$1"; }
write_empty() { : > "$1"; }
write_mismatch() { cat "$CG_TMP/new/mismatch.crt" "$CG_PKI/exact.key" > "$1"; }

case_garbage_keeps_the_old_certificate() {
  broken_then_fixed write_garbage 'pem|certificate|no |invalid|parse'
}

case_empty_file_keeps_the_old_certificate() {
  broken_then_fixed write_empty 'empty|no certificate|pem'
}

case_key_mismatch_keeps_the_old_certificate() {
  leaf_new mismatch "DNS:alpha.test"
  broken_then_fixed write_mismatch 'key'
}

# NAME.crt without its NAME.key (removed): a half pair is a failure of that source, not a removal.
case_half_pair_keeps_the_old_certificate() {
  rf_start
  local old; old=$(cert_serial "$CG_PKI/wild.crt")
  rm -f "$CERTS/wild.key"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 \
    || fail "certgate_cert_last_reload_successful did not drop to 0 (wild.key removed)"
  assert_serial_stays 1 www.example.com "$old"
  assert_eq 1 "$(log_errors "$CERTS/wild")" "error lines naming wild.crt / wild.key"
  note "error line: $(grep -E '^[^ ]+ error ' "$CG_LOG")"
  leaf_new wild1 "DNS:*.example.com"
  cp "$CG_TMP/new/wild1.key" "$CERTS/.wild.key.tmp"; cat "$CG_TMP/new/wild1.crt" > "$CERTS/.wild.crt.tmp"
  mv "$CERTS/.wild.crt.tmp" "$CERTS/wild.crt"; mv "$CERTS/.wild.key.tmp" "$CERTS/wild.key"
  wait_serial 3 www.example.com "$(cert_serial "$CG_TMP/new/wild1.crt")"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  ka_still_works main "the half pair and its fix"
  ka_stop_all
}

# failing_retried_with_backoff BREAKER : after BREAKER breaks a source, it is retried with backoff (0.5 s,
# 1 s, 2 s, ... after the first failure: attempts at about 0, 0.5, 1.5, 3.5, 7.5 s), not on every stat()
# check (every 1 s by default). Counted over the window 2 s .. 6 s after the first failure: one retry
# (at 3.5 s) expected, at most 2 accepted.
failing_retried_with_backoff() {
  rf_start
  "$1"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 || fail "the broken source did not fail the reload"
  local t0 f2 f6 n2 n6
  t0=$(now_ms)
  wait_for 3 sh -c "[ \$(( \$(date +%s%N) / 1000000 )) -ge $((t0 + 2000)) ]"
  f2=$(failed_reloads); n2=$(log_count 'certificate reload finished')
  wait_for 5 sh -c "[ \$(( \$(date +%s%N) / 1000000 )) -ge $((t0 + 6000)) ]"
  f6=$(failed_reloads); n6=$(log_count 'certificate reload finished')
  note "failed reloads: $f2 at 2 s, $f6 at 6 s (inotify $(reloads inotify failure), stat $(reloads stat failure), timer $(reloads timer failure));" \
    "'certificate reload finished' lines: $n2 -> $n6"
  grep 'certificate reload finished' "$CG_LOG" | tail -n 6 | sed 's/^/#   | /'
  assert_le $((f6 - f2)) 2 "failed reloads between 2 s and 6 s after the first failure (backoff: 1)"
  assert_eq 1 "$(log_errors "")" "error lines"
  ka_still_works main "the retries"
  ka_stop_all
}
break_half_pair() { rm -f "$CERTS/wild.key"; }
break_garbage() { echo "garbage" > "$CERTS/alpha.pem"; }
break_dangling_symlink() { rm -f "$CERTS/exact.pem"; ln -s "$CG_TMP/nowhere.pem" "$CERTS/exact.pem"; }
case_garbage_retried_with_backoff() { failing_retried_with_backoff break_garbage; }
case_half_pair_retried_with_backoff() { failing_retried_with_backoff break_half_pair; }
case_dangling_symlink_retried_with_backoff() { failing_retried_with_backoff break_dangling_symlink; }

# A reload that would leave nothing to serve fails as a whole; the old certificate stays.
case_removing_the_last_certificate_fails() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  cert_install alpha:pem "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main
  local old; old=$(cert_serial "$CG_PKI/alpha.crt")
  rm -f "$CERTS/alpha.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 \
    || fail "certgate_cert_last_reload_successful did not drop to 0 (last certificate removed)"
  note "ok: certgate_cert_last_reload_successful 0"
  assert_serial_stays 1 alpha.test "$old"
  assert_eq 1 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  assert_eq "$(cert_not_after_epoch "$CG_PKI/alpha.crt")" "$(metric certgate_cert_not_after_timestamp_seconds 'cert="alpha"')" "notAfter metric for alpha (still served)"
  assert_ge "$(failed_reloads)" 1 "failed reloads"
  assert_eq 0 "$(auto_successes)" "successful reloads"
  assert_eq 1 "$(log_errors "no certificate")" "error lines saying no certificate would be left"
  assert_eq 0 "$(log_count 'certificate removed')" "'certificate removed' lines"
  ka_still_works main "the removal"
  # Another certificate arrives: it replaces the set.
  cert_install other:pem "$CERTS"
  wait_serial 3 other.test "$(cert_serial "$CG_PKI/other.crt")"
  wait_serial 3 alpha.test "$(cert_serial "$CG_PKI/other.crt")"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  assert_eq absent "$(metric certgate_cert_not_after_timestamp_seconds 'cert="alpha"')" "notAfter metric for alpha after the new set went live"
  ka_still_works main "the new set"
  ka_stop_all
}

# The --default-cert must survive a reload: removing it fails the reload and keeps everything.
case_removing_the_default_certificate_fails() {
  rf_start --default-cert exact
  local old; old=$(cert_serial "$CG_PKI/exact.crt")
  assert_eq "$old" "$(served_serial "$CG_PORT" unknown.test)" "serial for an unknown name (the default)"
  rm -f "$CERTS/exact.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 \
    || fail "certgate_cert_last_reload_successful did not drop to 0 (default certificate removed)"
  assert_serial_stays 1 unknown.test "$old"
  assert_eq "$old" "$(served_serial "$CG_PORT" exact.example.com)" "serial for exact.example.com"
  assert_eq 1 "$(log_errors "exact")" "error lines naming the default certificate"
  note "error line: $(grep -E '^[^ ]+ error ' "$CG_LOG")"
  assert_eq 5 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  # It comes back (new serial): everything recovers.
  leaf_new exact1 "DNS:exact.example.com"
  replace_atomic "$CG_TMP/new/exact1.pem" "$CERTS/exact.pem"
  wait_serial 3 unknown.test "$(cert_serial "$CG_TMP/new/exact1.crt")"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  ka_still_works main "the default certificate came back"
  ka_stop_all
}

# A new file that does not load is not served, reported once, retried, and added once it is fixed; the
# other certificates are unaffected.
case_new_broken_file_added_when_fixed() {
  rf_start
  echo "not yet" > "$CERTS/other.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 || fail "the broken new file did not fail the reload"
  assert_eq 1 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing"
  assert_served other.test cg-alpha
  assert_eq 5 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  local line; line=$(grep -E '^[^ ]+ error ' "$CG_LOG" | grep -F "$CERTS/other.pem" || true)
  assert_contains "$line" "certificate failed to load; not served; will retry" "the error line"
  assert_serial_stays 2 other.test "$(cert_serial "$CG_PKI/alpha.crt")"
  assert_eq 1 "$(log_errors "$CERTS/other.pem")" "error lines naming other.pem (retries at debug)"
  cert_install other:pem "$CERTS"
  wait_serial 3 other.test "$(cert_serial "$CG_PKI/other.crt")"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  assert_eq 6 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  assert_contains "$(grep 'certificate added' "$CG_LOG")" "cert=other" "addition logged"
  ka_still_works main "the new file"
  ka_stop_all
}

# Two --cert-dir: a second alpha.pem appearing in the other directory is a name clash. The alpha already
# served stays served (a stray file must not take a live certificate down); the clash is reported once.
case_name_clash_keeps_the_served_certificate() {
  admin_init
  up_start http
  cert_install alpha:pem exact:pem "$CG_TMP/d1"
  cert_install other:pem "$CG_TMP/d2"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/d1" --cert-dir "$CG_TMP/d2" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main
  local old; old=$(cert_serial "$CG_PKI/alpha.crt")
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CG_TMP/d2/alpha.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 || fail "the name clash did not fail the reload"
  assert_serial_stays 2 alpha.test "$old"
  assert_eq 3 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded"
  local line; line=$(grep -E '^[^ ]+ error ' "$CG_LOG" || true)
  note "error line: $line"
  assert_eq 1 "$(log_errors "")" "error lines"
  assert_contains "$line" "$CG_TMP/d2/alpha.pem" "the error line (names the second file)"
  rm -f "$CG_TMP/d2/alpha.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "certgate_cert_last_reload_successful did not return to 1"
  assert_eq "$old" "$(served_serial "$CG_PORT" alpha.test)" "serial for alpha.test after the clash was resolved"
  assert_served other.test cg-other
  ka_still_works main "the clash"
  ka_stop_all
}

# json_src FILE NAME FIELD : FIELD of the source NAME in a POST /reload answer ("<missing>" if absent).
json_src() {
  "$PY" - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
src = {s["name"]: s for s in doc["sources"]}.get(sys.argv[2], {})
v = src.get(sys.argv[3], "<missing>")
print("null" if v is None else v)
EOF
}
# json_top FILE FIELD : a top-level field (lists as their length).
json_top() {
  "$PY" - "$@" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(len(v) if isinstance(v, list) else v)
EOF
}

# post_reload N : POST /reload; the body goes to $CG_TMP/reload-N.json, the status to RELOAD_STATUS.
post_reload() {
  RELOAD_STATUS=$(curl -sS --max-time 10 -X POST -o "$CG_TMP/reload-$1.json" -w '%{http_code}' "http://127.0.0.1:$CG_ADMIN/reload")
  note "POST /reload -> $RELOAD_STATUS $(cat "$CG_TMP/reload-$1.json")"
  "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$CG_TMP/reload-$1.json" || fail "POST /reload answer is not JSON"
}

case_post_reload_reports_every_source() {
  rf_start --watch off
  local a_old a_new z_old c_old
  a_old=$(cert_serial "$CG_PKI/alpha.crt"); z_old=$(cert_serial "$CG_PKI/zulu.crt"); c_old=$(cert_serial "$CG_PKI/cnonly.crt")
  # Nothing changed: 200, unchanged everywhere.
  post_reload 0
  assert_eq 200 "$RELOAD_STATUS" "status with nothing changed"
  assert_eq unchanged "$(json_top "$CG_TMP/reload-0.json" result)" "result"
  assert_eq admin "$(json_top "$CG_TMP/reload-0.json" trigger)" "trigger"
  assert_eq 5 "$(json_top "$CG_TMP/reload-0.json" sources)" "number of sources"
  local n; for n in alpha cnonly exact wild zulu; do
    assert_eq unchanged "$(json_src "$CG_TMP/reload-0.json" "$n" status)" "status of $n"
  done
  # alpha rotated, cnonly removed, zulu garbage, exact and wild untouched: 422.
  leaf_new alpha1 "DNS:alpha.test"; a_new=$(cert_serial "$CG_TMP/new/alpha1.crt")
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  rm -f "$CERTS/cnonly.pem"
  echo "garbage" > "$CERTS/zulu.pem"
  post_reload 1
  local f="$CG_TMP/reload-1.json"
  assert_eq 422 "$RELOAD_STATUS" "status with a failing source"
  assert_eq failure "$(json_top "$f" result)" "result"
  assert_eq admin "$(json_top "$f" trigger)" "trigger"
  assert_eq 4 "$(json_top "$f" certificates)" "certificates served after the reload"
  assert_eq 0 "$(json_top "$f" problems)" "problems"
  assert_eq reloaded "$(json_src "$f" alpha status)" "status of alpha"
  assert_eq "$a_new" "$(json_src "$f" alpha serial)" "serial of alpha"
  assert_eq "$a_old" "$(json_src "$f" alpha previous_serial)" "previous_serial of alpha"
  assert_eq removed "$(json_src "$f" cnonly status)" "status of cnonly"
  assert_eq "$c_old" "$(json_src "$f" cnonly previous_serial)" "previous_serial of cnonly"
  assert_eq unchanged "$(json_src "$f" exact status)" "status of exact"
  assert_eq unchanged "$(json_src "$f" wild status)" "status of wild"
  assert_eq failed "$(json_src "$f" zulu status)" "status of zulu"
  assert_contains "$(json_src "$f" zulu reason)" "$CERTS/zulu.pem" "reason of zulu (names the file)"
  assert_eq "$z_old" "$(json_src "$f" zulu serving_serial)" "serving_serial of zulu"
  # What the answer says is what is served.
  assert_eq "$a_new" "$(served_serial "$CG_PORT" alpha.test)" "served for alpha.test"
  assert_eq "$z_old" "$(served_serial "$CG_PORT" zulu.test)" "served for zulu.test (the last good one)"
  assert_served cnonly.example.com cg-wild   # cnonly is gone; the wildcard covers the name
  assert_eq 1 "$(reloads admin failure)" "certgate_cert_reloads_total{trigger=admin,result=failure}"
  # zulu fixed: the retry timer (backoff) picks it up without any request. The retries since the failure
  # came at 0.5, 1.5, 3.5, 7.5, 15.5 s, ... (doubling, at most 30 s apart), so on a loaded machine, where
  # the checks above take longer, the next one may be up to about 16 s away: wait up to the 30 s cap.
  leaf_new zulu1 "DNS:zulu.test" rsa
  replace_atomic "$CG_TMP/new/zulu1.pem" "$CERTS/zulu.pem"
  wait_serial 31 zulu.test "$(cert_serial "$CG_TMP/new/zulu1.crt")"
  assert_ge "$(reloads timer success)" 1 "certgate_cert_reloads_total{trigger=timer,result=success} (the retry)"
  # Everything loads now and nothing changed since: 200 unchanged.
  post_reload 2
  assert_eq 200 "$RELOAD_STATUS" "status after the retry loaded zulu"
  assert_eq unchanged "$(json_top "$CG_TMP/reload-2.json" result)" "result"
  assert_eq 4 "$(json_top "$CG_TMP/reload-2.json" sources)" "number of sources"
  assert_eq unchanged "$(json_src "$CG_TMP/reload-2.json" zulu status)" "status of zulu"
  # One more rotation: 200 success.
  leaf_new exact1 "DNS:exact.example.com"
  replace_atomic "$CG_TMP/new/exact1.pem" "$CERTS/exact.pem"
  post_reload 3
  assert_eq 200 "$RELOAD_STATUS" "status after a good rotation"
  assert_eq success "$(json_top "$CG_TMP/reload-3.json" result)" "result"
  assert_eq reloaded "$(json_src "$CG_TMP/reload-3.json" exact status)" "status of exact"
  assert_eq "$(cert_serial "$CG_TMP/new/exact1.crt")" "$(json_src "$CG_TMP/reload-3.json" exact serial)" "serial of exact"
  assert_eq "$(cert_serial "$CG_TMP/new/exact1.crt")" "$(served_serial "$CG_PORT" exact.example.com)" "served for exact.example.com"
  assert_eq 1 "$(reloads admin success)" "certgate_cert_reloads_total{trigger=admin,result=success}"
  assert_eq 2 "$(reloads admin unchanged)" "certgate_cert_reloads_total{trigger=admin,result=unchanged}"
  assert_eq 1 "$(reloads admin failure)" "certgate_cert_reloads_total{trigger=admin,result=failure}"
  ka_still_works main "four POST /reload"
  ka_stop_all
}

# ---- validity period

# expired_set : $CG_TMP/certs with alpha.pem expired (January 2025) and exact.pem valid.
expired_set() {
  CERTS="$CG_TMP/certs"
  leaf_dated expired "DNS:alpha.test" 20250101000000Z 20250201000000Z
  mkdir -p "$CERTS"
  cp "$CG_TMP/new/expired.pem" "$CERTS/alpha.pem"
  cert_install exact:pem "$CERTS"
}

case_expired_certificate_refused_at_startup() {
  expired_set
  CG_PORT=$(free_port)
  local rc=0
  timeout 15 "$CG_BIN" run --listen "127.0.0.1:$CG_PORT" --upstream 127.0.0.1:9 --cert-dir "$CERTS" \
    >"$CG_TMP/out" 2>"$CG_TMP/err" </dev/null || rc=$?
  note "exit status $rc; stderr:"; sed 's/^/#   | /' "$CG_TMP/err"
  assert_eq 1 "$rc" "exit status"
  assert_eq 1 "$(grep -c . "$CG_TMP/err")" "number of (non-empty) stderr lines"
  local err; err=$(cat "$CG_TMP/err")
  assert_contains "$err" "$CERTS/alpha.pem" "error line (names the file)"
  assert_imatch "$err" 'expired' "error line (says it is expired)"
  assert_contains "$err" "--allow-expired" "error line (mentions --allow-expired)"
}

case_allow_expired_serves_an_expired_certificate() {
  expired_set
  admin_init
  up_start http
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN" --allow-expired
  assert_eq "$(cert_serial "$CG_TMP/new/expired.crt")" "$(served_serial "$CG_PORT" alpha.test)" "serial served for alpha.test"
  assert_eq "$(cert_not_after_epoch "$CG_TMP/new/expired.crt")" "$(metric certgate_cert_not_after_timestamp_seconds 'cert="alpha"')" "notAfter metric (in the past)"
  assert_hello exact.example.com
}

case_rotation_to_expired_certificate_refused() {
  rf_start
  local old; old=$(cert_serial "$CG_PKI/alpha.crt")
  leaf_dated expired "DNS:alpha.test" 20250101000000Z 20250201000000Z
  replace_atomic "$CG_TMP/new/expired.pem" "$CERTS/alpha.pem"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 || fail "the expired certificate did not fail the reload"
  assert_serial_stays 1 alpha.test "$old"
  assert_eq 1 "$(log_errors "$CERTS/alpha.pem")" "error lines naming alpha.pem"
  assert_imatch "$(grep -E '^[^ ]+ error ' "$CG_LOG" | grep -F "$CERTS/alpha.pem")" 'expired' "the error line"
  # Not yet valid (from next year): refused too, with its own error line.
  leaf_dated future "DNS:alpha.test" "$(( $(date -u +%Y) + 1 ))0101000000Z" "$(( $(date -u +%Y) + 2 ))0101000000Z"
  replace_atomic "$CG_TMP/new/future.pem" "$CERTS/alpha.pem"
  wait_for 3 sh -c "[ \$(grep -E '^[^ ]+ error ' '$CG_LOG' | grep -cF '$CERTS/alpha.pem') -ge 2 ]" || fail "no error for the not-yet-valid certificate"
  assert_serial_stays 1 alpha.test "$old"
  assert_imatch "$(grep -E '^[^ ]+ error ' "$CG_LOG" | grep -F "$CERTS/alpha.pem" | tail -n 1)" 'not yet valid|not valid before|future' "the second error line"
  assert_eq 0 "$(auto_successes)" "successful reloads"
  ka_still_works main "two refused rotations"
  ka_stop_all
}

case_rotation_to_expired_allowed_with_flag() {
  rf_start --allow-expired
  leaf_dated expired "DNS:alpha.test" 20250101000000Z 20250201000000Z
  replace_atomic "$CG_TMP/new/expired.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/expired.crt")"
  assert_eq 0 "$(log_errors "")" "error lines"
  assert_eq 1 "$(metric certgate_cert_last_reload_successful)" "certgate_cert_last_reload_successful"
  ka_still_works main "the rotation"
  ka_stop_all
}

run_cases "$@"
