#!/usr/bin/env bash
# Hot certificate reload by change detection (--watch auto|inotify|stat|off, --reload-interval): every
# common way of rotating a certificate on disk is picked up within a bound, counted in
# certgate_cert_reloads_total, and never disturbs a keep-alive connection opened before the rotation.
source "$(dirname "$0")/lib.sh"

CERTS=""

# rw_start [certgate args] : HTTP upstream, the standard certificates (std_certs) in $CERTS, certgate with
# the admin listener, and one keep-alive connection ("main", alpha.test) opened before any rotation.
rw_start() {
  admin_init
  CERTS="$CG_TMP/certs"
  std_start "$@"
  ka_start main
}

# no_reload_failures : no reload of any trigger failed, and no error line was logged.
no_reload_failures() {
  local t
  for t in inotify stat signal timer admin; do
    assert_eq 0 "$(reloads "$t" failure)" "certgate_cert_reloads_total{trigger=$t,result=failure}"
  done
  assert_eq 0 "$(log_errors "")" "error lines in the log"
}

# inotify_successes MIN EXACT_TOTAL : at least MIN successful reloads by inotify, and exactly EXACT_TOTAL
# successful reloads by inotify + stat together (auto mode: the stat() check may in principle see a change
# first; each content change is applied by exactly one successful reload).
inotify_successes() {
  local i s
  i=$(reloads inotify success); s=$(reloads stat success)
  assert_ge "$i" "$1" "certgate_cert_reloads_total{trigger=inotify,result=success}"
  assert_eq "$2" "$((i + s))" "successful inotify + stat reloads (inotify $i, stat $s)"
}

case_kubernetes_data_swap_twice() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  std_certs "$CERTS"
  cert_install kube:kube:web "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main kube.test
  assert_eq "$(cert_serial "$CG_PKI/kube.crt")" "$(served_serial "$CG_PORT" kube.test)" "serial for kube.test before rotation"
  local i serial serials=()
  for i in 1 2; do
    leaf_new "kube$i" "DNS:kube.test"
    serial=$(cert_serial "$CG_TMP/new/kube$i.crt")
    serials+=("$serial")
    kube_rotate "$CERTS/web" "$CG_TMP/new/kube$i.crt" "$CG_TMP/new/kube$i.key"
    note "rotation $i: ..data -> $(readlink "$CERTS/web/..data"), deleted $(basename "$KUBE_OLD_TS")"
    [ ! -e "$KUBE_OLD_TS" ] || fail "the old timestamped directory $KUBE_OLD_TS still exists"
    wait_serial 3 kube.test "$serial"
  done
  # The old timestamped directories are gone; what is served still reads fine.
  assert_eq 1 "$(find "$CERTS/web" -maxdepth 1 -name '..2*' -type d | wc -l)" "timestamped directories left in the secret"
  assert_serial_stays 1 kube.test "${serials[1]}"
  ka_still_works main "two ..data swaps"
  assert_eq 2 "$(log_count 'certificate replaced cert=web ')" "'certificate replaced cert=web' lines"
  assert_contains "$(grep 'certificate replaced cert=web ' "$CG_LOG" | head -n 1)" "new_serial=${serials[0]}" "first replacement"
  assert_contains "$(grep 'certificate replaced cert=web ' "$CG_LOG" | tail -n 1)" "new_serial=${serials[1]}" "second replacement"
  inotify_successes 1 2
  no_reload_failures
  assert_eq "$(cert_serial "$CG_PKI/alpha.crt")" "$(served_serial "$CG_PORT" alpha.test)" "serial for alpha.test (untouched)"
  ka_stop_all
}

case_atomic_rename_of_pem() {
  rw_start
  assert_eq "$(cert_serial "$CG_PKI/alpha.crt")" "$(served_serial "$CG_PORT" alpha.test)" "serial before rotation"
  local ts0 n0 rot_s; ts0=$(metric_raw certgate_cert_last_reload_success_timestamp_seconds); n0=$(metric_raw certgate_cert_reload_duration_seconds_count)
  leaf_new alpha1 "DNS:alpha.test"
  local serial; serial=$(cert_serial "$CG_TMP/new/alpha1.crt")
  # Rotate in a later second than the start-up load (the timestamp has whole seconds).
  wait_for 2 sh -c "[ \$(date +%s) -gt ${ts0%.*} ]" || fail "clock did not pass $ts0"
  rot_s=$(date +%s)
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$serial"
  ka_still_works main "the rename"
  local ts1 n1; ts1=$(metric_raw certgate_cert_last_reload_success_timestamp_seconds); n1=$(metric_raw certgate_cert_reload_duration_seconds_count)
  awk -v r="$rot_s" -v b="$ts1" 'BEGIN { exit !(b >= r) }' \
    || fail "certgate_cert_last_reload_success_timestamp_seconds: expected >= $rot_s (the rotation), got $ts1 (start-up: $ts0)"
  note "ok: certgate_cert_last_reload_success_timestamp_seconds = $ts1 (start-up $ts0, rotation at $rot_s)"
  assert_ge "$n1" $((n0 + 1)) "certgate_cert_reload_duration_seconds_count (was $n0)"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG")" "new_serial=$serial" "replacement logged"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG")" "trigger=inotify" "replacement trigger"
  wait_for 3 metric_is certgate_cert_not_after_timestamp_seconds 'cert="alpha"' "$(cert_not_after_epoch "$CG_TMP/new/alpha1.crt")" || true
  assert_eq "$(cert_not_after_epoch "$CG_TMP/new/alpha1.crt")" "$(metric certgate_cert_not_after_timestamp_seconds 'cert="alpha"')" "notAfter metric of alpha (the new certificate's)"
  assert_eq 1 "$(metric certgate_cert_last_reload_successful)" "certgate_cert_last_reload_successful"
  assert_eq 1 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active"
  inotify_successes 1 1
  # A second rename, to an RSA certificate: the key type changes too.
  leaf_new alpha2 "DNS:alpha.test" rsa
  replace_atomic "$CG_TMP/new/alpha2.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha2.crt")"
  assert_hello alpha.test
  inotify_successes 2 2
  ka_still_works main "the second rename"
  no_reload_failures
  ka_stop_all
}

# New files with the same content (touch, a copy, a kubelet re-sync into a new timestamped directory):
# reloads happen and find nothing changed.
case_same_content_is_unchanged() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  std_certs "$CERTS"
  cert_install kube:kube:web "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main
  touch "$CERTS/alpha.pem"
  wait_for 3 metric_ge certgate_cert_reloads_total 'trigger="inotify",result="unchanged"' 1 || fail "no reload after touch"
  cp "$CERTS/alpha.pem" "$CG_TMP/alpha.copy"; replace_atomic "$CG_TMP/alpha.copy" "$CERTS/alpha.pem"
  local u; u=$(reloads inotify unchanged)
  wait_for 3 metric_ge certgate_cert_reloads_total 'trigger="inotify",result="unchanged"' $((u + 1)) || fail "no reload after the copy"
  u=$(reloads inotify unchanged)
  kube_rotate "$CERTS/web" "$CG_PKI/kube.crt" "$CG_PKI/kube.key"
  wait_for 3 metric_ge certgate_cert_reloads_total 'trigger="inotify",result="unchanged"' $((u + 1)) || fail "no reload after the ..data swap"
  assert_serial_stays 1 alpha.test "$(cert_serial "$CG_PKI/alpha.crt")"
  assert_eq "$(cert_serial "$CG_PKI/kube.crt")" "$(served_serial "$CG_PORT" kube.test)" "serial for kube.test"
  assert_ge "$(reloads inotify unchanged)" 3 "certgate_cert_reloads_total{trigger=inotify,result=unchanged}"
  assert_eq 0 "$(( $(reloads inotify success) + $(reloads stat success) ))" "successful reloads"
  assert_eq 0 "$(log_count 'certificate replaced')" "'certificate replaced' lines"
  assert_eq 0 "$(log_count 'certificate reload finished')" "'certificate reload finished' lines at info level (nothing changed)"
  ka_still_works main "three no-op rotations"
  no_reload_failures
  ka_stop_all
}

case_truncate_and_write_in_place() {
  rw_start
  leaf_new alpha1 "DNS:alpha.test"
  local serial ino0; serial=$(cert_serial "$CG_TMP/new/alpha1.crt")
  ino0=$(stat -c %i "$CERTS/alpha.pem")
  cat "$CG_TMP/new/alpha1.pem" > "$CERTS/alpha.pem"
  assert_eq "$ino0" "$(stat -c %i "$CERTS/alpha.pem")" "inode of alpha.pem (rewritten in place)"
  wait_serial 3 alpha.test "$serial"
  ka_still_works main "the in-place rewrite"
  assert_eq 1 "$(log_count 'certificate replaced cert=alpha ')" "'certificate replaced cert=alpha' lines"
  inotify_successes 1 1
  no_reload_failures
  ka_stop_all
}

# cp -p with the old file's timestamps: the mtime does not change, the ctime does; inotify sees the write.
case_copy_keeping_old_mtime_is_noticed() {
  rw_start
  leaf_new alpha1 "DNS:alpha.test"
  local serial mtime0; serial=$(cert_serial "$CG_TMP/new/alpha1.crt")
  mtime0=$(stat -c %Y.%y "$CERTS/alpha.pem")
  touch -r "$CERTS/alpha.pem" "$CG_TMP/new/alpha1.pem"
  cp -p "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  assert_eq "$mtime0" "$(stat -c %Y.%y "$CERTS/alpha.pem")" "mtime of alpha.pem after cp -p (unchanged)"
  wait_serial 3 alpha.test "$serial"
  inotify_successes 1 1
  # A SIGHUP now re-reads everything and finds nothing new.
  kill -HUP "$CG_PID"
  wait_for 3 metric_is certgate_cert_reloads_total 'trigger="signal",result="unchanged"' 1 || true
  assert_eq 1 "$(reloads signal unchanged)" "certgate_cert_reloads_total{trigger=signal,result=unchanged} after a SIGHUP"
  assert_eq 0 "$(reloads signal success)" "certgate_cert_reloads_total{trigger=signal,result=success}"
  assert_eq "$serial" "$(served_serial "$CG_PORT" alpha.test)" "serial after the SIGHUP"
  ka_still_works main "the copy and the SIGHUP"
  no_reload_failures
  ka_stop_all
}

# The same copy with change detection off: only the SIGHUP (which reads every file whatever stat() says)
# brings it in, with trigger=signal.
case_copy_keeping_old_mtime_then_sighup() {
  rw_start --watch off
  leaf_new alpha1 "DNS:alpha.test"
  local serial old mtime0; serial=$(cert_serial "$CG_TMP/new/alpha1.crt")
  old=$(cert_serial "$CG_PKI/alpha.crt")
  mtime0=$(stat -c %Y.%y "$CERTS/alpha.pem")
  touch -r "$CERTS/alpha.pem" "$CG_TMP/new/alpha1.pem"
  cp -p "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  assert_eq "$mtime0" "$(stat -c %Y.%y "$CERTS/alpha.pem")" "mtime of alpha.pem after cp -p (unchanged)"
  assert_serial_stays 1 alpha.test "$old"
  kill -HUP "$CG_PID"
  wait_serial 3 alpha.test "$serial"
  wait_for 3 metric_is certgate_cert_reloads_total 'trigger="signal",result="success"' 1 || true
  assert_eq 1 "$(reloads signal success)" "certgate_cert_reloads_total{trigger=signal,result=success}"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG")" "trigger=signal" "replacement trigger"
  ka_still_works main "the SIGHUP"
  no_reload_failures
  ka_stop_all
}

# NAME.crt and NAME.key rewritten one after the other, 50 ms apart: the debounce makes it one reload of
# the finished pair, never a key-mismatch error for the half-written state.
case_crt_then_key_written_separately() {
  rw_start
  leaf_new wild1 "DNS:*.example.com"
  local serial; serial=$(cert_serial "$CG_TMP/new/wild1.crt")
  assert_eq "$(cert_serial "$CG_PKI/wild.crt")" "$(served_serial "$CG_PORT" www.example.com)" "serial for www.example.com before"
  cat "$CG_TMP/new/wild1.crt" > "$CERTS/wild.crt"
  sleep 0.05
  cat "$CG_TMP/new/wild1.key" > "$CERTS/wild.key"
  wait_serial 3 www.example.com "$serial"
  assert_serial_stays 1 www.example.com "$serial"
  ka_still_works main "the pair rotation"
  assert_eq 1 "$(log_count 'certificate replaced cert=wild ')" "'certificate replaced cert=wild' lines (one final state)"
  assert_contains "$(grep 'certificate replaced cert=wild ' "$CG_LOG")" "new_serial=$serial" "replacement logged"
  assert_eq 0 "$(log_errors "$CERTS/wild")" "error lines naming wild.crt/wild.key"
  assert_eq 0 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing"
  inotify_successes 1 1
  no_reload_failures
  ka_stop_all
}

# rm -rf of the whole --cert-dir, then mkdir and new files: the old certificates are served during the
# gap (an unreadable directory keeps its sources), the new ones once the directory is back, and the
# inotify watch is re-added (a later rotation in the new directory is picked up by inotify).
dir_deleted_and_recreated() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  cert_install alpha:pem exact:pem "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN" "$@"
  ka_start main
  ka_start other exact.example.com
  local old; old=$(cert_serial "$CG_PKI/alpha.crt")
  rm -rf "$CERTS"
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 0 \
    || fail "no failed reload after the directory was deleted (last_reload_successful $(metric certgate_cert_last_reload_successful))"
  assert_ge "$(log_errors "$CERTS")" 1 "error lines naming the deleted directory"
  assert_serial_stays 1 alpha.test "$old"
  assert_served exact.example.com cg-exact
  assert_eq 2 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded during the gap"
  ka_still_works other "the directory was deleted"
  leaf_new alpha1 "DNS:alpha.test"
  local s1; s1=$(cert_serial "$CG_TMP/new/alpha1.crt")
  mkdir "$CERTS"
  cat "$CG_TMP/new/alpha1.pem" > "$CERTS/alpha.pem"
  cert_install exact:pem "$CERTS"
  wait_serial 5 alpha.test "$s1"
  assert_served exact.example.com cg-exact
  wait_for 3 metric_is certgate_cert_last_reload_successful "" 1 || fail "last_reload_successful did not return to 1"
  wait_for 3 metric_is certgate_cert_watcher_inotify_active "" 1 || fail "inotify watch not re-added (inotify_active $(metric certgate_cert_watcher_inotify_active))"
  note "ok: certgate_cert_last_reload_successful 1 and certgate_cert_watcher_inotify_active 1 again"
  # The watch is on the new directory: a rotation there is picked up by inotify.
  local before; before=$(reloads inotify success)
  leaf_new alpha2 "DNS:alpha.test"
  local s2; s2=$(cert_serial "$CG_TMP/new/alpha2.crt")
  replace_atomic "$CG_TMP/new/alpha2.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$s2"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG" | tail -n 1)" "new_serial=$s2" "replacement in the new directory"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG" | tail -n 1)" "trigger=inotify" "its trigger"
  assert_ge "$(reloads inotify success)" $((before + 1)) "inotify successes after the rotation in the recreated directory"
  assert_eq 0 "$(metric certgate_cert_sources_failing)" "certgate_cert_sources_failing at the end"
  ka_still_works main "the directory came back"
  ka_still_works other "the directory came back"
  ka_stop_all
}

case_cert_dir_deleted_and_recreated() { dir_deleted_and_recreated; }
# The same without the stat() check: only inotify (and its watch retry) can notice the new directory.
case_cert_dir_deleted_and_recreated_inotify_only() { dir_deleted_and_recreated --watch inotify; }

case_watch_stat_fast_interval() {
  rw_start --watch stat --stat-interval 200ms
  assert_eq 0 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active"
  leaf_new alpha1 "DNS:alpha.test"; leaf_new alpha2 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 2 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  cat "$CG_TMP/new/alpha2.pem" > "$CERTS/alpha.pem"
  wait_serial 2 alpha.test "$(cert_serial "$CG_TMP/new/alpha2.crt")"
  ka_still_works main "two rotations"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="stat",result="success"' 2 || true
  assert_eq 2 "$(reloads stat success)" "certgate_cert_reloads_total{trigger=stat,result=success}"
  assert_eq 0 "$(( $(reloads inotify success) + $(reloads inotify unchanged) + $(reloads inotify failure) ))" "reloads by inotify (all results)"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG" | tail -n 1)" "trigger=stat" "replacement trigger"
  no_reload_failures
  ka_stop_all
}

case_watch_stat_default_interval() {
  rw_start --watch stat
  assert_eq 0 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active"
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 4 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  ka_still_works main "the rotation"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="stat",result="success"' 1 || true
  assert_eq 1 "$(reloads stat success)" "certgate_cert_reloads_total{trigger=stat,result=success}"
  assert_eq 0 "$(( $(reloads inotify success) + $(reloads inotify unchanged) + $(reloads inotify failure) ))" "reloads by inotify (all results)"
  no_reload_failures
  ka_stop_all
}

# The default 1 s stat() check alone finds an in-place rewrite and a rename within 1.5 s each (at most one
# pass, the 150 ms debounce and the reload; the handshake poll adds up to ~50 ms).
case_watch_stat_default_interval_within_1500ms() {
  rw_start --watch stat
  leaf_new alpha1 "DNS:alpha.test"; leaf_new alpha2 "DNS:alpha.test"
  local t0
  t0=$(now_ms)
  cat "$CG_TMP/new/alpha1.pem" > "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  assert_le "$(( $(now_ms) - t0 ))" 1500 "ms from an in-place rewrite to the new certificate (--watch stat)"
  sleep 0.4 # land elsewhere in the pass
  t0=$(now_ms)
  replace_atomic "$CG_TMP/new/alpha2.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha2.crt")"
  assert_le "$(( $(now_ms) - t0 ))" 1500 "ms from a rename to the new certificate (--watch stat)"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="stat",result="success"' 2 || true
  assert_eq 2 "$(reloads stat success)" "certgate_cert_reloads_total{trigger=stat,result=success}"
  no_reload_failures
  ka_stop_all
}

case_watch_inotify_only() {
  rw_start --watch inotify
  assert_eq 1 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active"
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  ka_still_works main "the rotation"
  assert_ge "$(reloads inotify success)" 1 "certgate_cert_reloads_total{trigger=inotify,result=success}"
  assert_eq 0 "$(( $(reloads stat success) + $(reloads stat unchanged) + $(reloads stat failure) ))" "reloads by the stat() check (all results)"
  no_reload_failures
  ka_stop_all
}

case_watch_off_needs_sighup() {
  rw_start --watch off
  assert_eq 0 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active"
  local old; old=$(cert_serial "$CG_PKI/alpha.crt")
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  assert_serial_stays 2 alpha.test "$old"
  local t total=0
  for t in inotify stat timer signal admin; do
    total=$(( total + $(reloads "$t" success) + $(reloads "$t" unchanged) + $(reloads "$t" failure) ))
  done
  assert_eq 0 "$total" "reloads of any trigger but startup with --watch off"
  kill -HUP "$CG_PID"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="signal",result="success"' 1 || true
  assert_eq 1 "$(reloads signal success)" "certgate_cert_reloads_total{trigger=signal,result=success}"
  ka_still_works main "the SIGHUP"
  no_reload_failures
  ka_stop_all
}

case_reload_interval_backstop() {
  rw_start --watch off --reload-interval 1s
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="timer",result="success"' 1 || true
  assert_eq 1 "$(reloads timer success)" "certgate_cert_reloads_total{trigger=timer,result=success}"
  wait_for 3 metric_ge certgate_cert_reloads_total 'trigger="timer",result="unchanged"' 1 || true
  assert_ge "$(reloads timer unchanged)" 1 "certgate_cert_reloads_total{trigger=timer,result=unchanged} (the interval keeps re-reading)"
  ka_still_works main "the rotation"
  no_reload_failures
  ka_stop_all
}

case_file_added_then_removed() {
  rw_start
  assert_served other.test cg-alpha
  assert_eq absent "$(metric certgate_cert_not_after_timestamp_seconds 'cert="other"')" "notAfter metric for other before"
  assert_eq 5 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded before"
  cert_install other:pem "$CERTS"
  wait_serial 3 other.test "$(cert_serial "$CG_PKI/other.crt")"
  assert_served other.test cg-other
  wait_for 2 metric_is certgate_certificates_loaded "" 6 || true
  assert_eq 6 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded after the addition"
  assert_eq "$(cert_not_after_epoch "$CG_PKI/other.crt")" "$(metric certgate_cert_not_after_timestamp_seconds 'cert="other"')" "notAfter metric for other"
  assert_contains "$(grep 'certificate added' "$CG_LOG")" "cert=other" "addition logged"
  rm -f "$CERTS/other.pem"
  wait_serial 3 other.test "$(cert_serial "$CG_PKI/alpha.crt")"
  assert_served other.test cg-alpha
  wait_for 2 metric_is certgate_certificates_loaded "" 5 || true
  assert_eq 5 "$(metric certgate_certificates_loaded)" "certgate_certificates_loaded after the removal"
  assert_eq absent "$(metric certgate_cert_not_after_timestamp_seconds 'cert="other"')" "notAfter metric for other after the removal"
  assert_contains "$(grep 'certificate removed' "$CG_LOG")" "cert=other" "removal logged"
  inotify_successes 1 2
  ka_still_works main "the addition and removal"
  no_reload_failures
  ka_stop_all
}

# The secret volume mounted directly as --cert-dir (the pair "tls"): the ..data swap happens in the
# watched directory itself.
case_secret_volume_as_cert_dir_data_swap() {
  admin_init
  up_start http
  CERTS="$CG_TMP/secret"
  kube_secret_dir "$CERTS" "$CG_PKI/kube.crt" "$CG_PKI/kube.key" noca
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main kube.test
  leaf_new kube1 "DNS:kube.test"
  kube_rotate "$CERTS" "$CG_TMP/new/kube1.crt" "$CG_TMP/new/kube1.key"
  wait_serial 3 kube.test "$(cert_serial "$CG_TMP/new/kube1.crt")"
  ka_still_works main "the ..data swap"
  assert_contains "$(grep 'certificate replaced' "$CG_LOG")" "cert=tls" "replacement logged for the pair 'tls'"
  inotify_successes 1 1
  no_reload_failures
  ka_stop_all
}

# A secret directory that appears after start-up (moved into place complete, as a volume would be) is
# served, and its own ..data swaps are then watched too.
case_new_secret_directory_added_then_rotated() {
  rw_start
  leaf_new late0 "DNS:late.test"; leaf_new late1 "DNS:late.test"
  kube_secret_dir "$CERTS/.late.tmp" "$CG_TMP/new/late0.crt" "$CG_TMP/new/late0.key"
  mv "$CERTS/.late.tmp" "$CERTS/late"
  wait_serial 3 late.test "$(cert_serial "$CG_TMP/new/late0.crt")"
  assert_contains "$(grep 'certificate added' "$CG_LOG")" "cert=late" "addition logged"
  kube_rotate "$CERTS/late" "$CG_TMP/new/late1.crt" "$CG_TMP/new/late1.key"
  wait_serial 3 late.test "$(cert_serial "$CG_TMP/new/late1.crt")"
  assert_contains "$(grep 'certificate replaced cert=late ' "$CG_LOG")" "trigger=inotify" "replacement trigger"
  inotify_successes 1 2
  ka_still_works main "the new secret and its rotation"
  no_reload_failures
  ka_stop_all
}

# --cert/--key files outside any --cert-dir, rotated by rename: their directory is watched.
case_cert_key_flag_files_rotated() {
  admin_init
  up_start http
  local x="$CG_TMP/x"
  mkdir -p "$x"
  cp "$CG_PKI/flag.crt" "$x/site.crt"; cp "$CG_PKI/flag.key" "$x/site.key"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert "$x/site.crt" --key "$x/site.key" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main flag.test
  leaf_new flag1 "DNS:flag.test"
  replace_atomic "$CG_TMP/new/flag1.crt" "$x/site.crt"
  replace_atomic "$CG_TMP/new/flag1.key" "$x/site.key"
  wait_serial 3 flag.test "$(cert_serial "$CG_TMP/new/flag1.crt")"
  ka_still_works main "the rotation"
  assert_eq 1 "$(log_count 'certificate replaced')" "'certificate replaced' lines"
  inotify_successes 1 1
  no_reload_failures
  ka_stop_all
}

# NAME.crt / NAME.key in the cert dir are symlinks into a secret volume mounted elsewhere; the volume is
# rotated the kubelet way. With inotify only (no stat() check to fall back on), twice.
symlinked_secret_elsewhere() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  local vol="$CG_TMP/volume"
  kube_secret_dir "$vol" "$CG_PKI/kube.crt" "$CG_PKI/kube.key"
  cert_install alpha:pem "$CERTS"
  ln -s "$vol/tls.crt" "$CERTS/api.crt"
  ln -s "$vol/tls.key" "$CERTS/api.key"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN" "$@"
  ka_start main kube.test
  assert_eq "$(cert_serial "$CG_PKI/kube.crt")" "$(served_serial "$CG_PORT" kube.test)" "serial for kube.test before"
  local i
  for i in 1 2; do
    leaf_new "kube$i" "DNS:kube.test"
    kube_rotate "$vol" "$CG_TMP/new/kube$i.crt" "$CG_TMP/new/kube$i.key"
    wait_serial 3 kube.test "$(cert_serial "$CG_TMP/new/kube$i.crt")"
  done
  ka_still_works main "two rotations of the volume"
  assert_eq 2 "$(log_count 'certificate replaced cert=api ')" "'certificate replaced cert=api' lines"
  no_reload_failures
  ka_stop_all
}
case_symlinks_into_secret_volume_elsewhere() { symlinked_secret_elsewhere; }
case_symlinks_into_secret_volume_elsewhere_inotify_only() { symlinked_secret_elsewhere --watch inotify; }

# Something keeps writing in the certificate directory every 50 ms (never 150 ms quiet): the debounce cap
# (1 s) still lets the rotation through.
case_debounce_cap_with_constant_writes() {
  rw_start --watch inotify
  ( while [ ! -f "$CG_TMP/noise.stop" ]; do date +%s%N > "$CERTS/.noise"; sleep 0.05; done ) &
  local noise=$!
  _register_aux "$noise"
  wait_for 2 test -s "$CERTS/.noise" || fail "the writer did not start"
  leaf_new alpha1 "DNS:alpha.test"
  replace_atomic "$CG_TMP/new/alpha1.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  touch "$CG_TMP/noise.stop"; wait "$noise"
  ka_still_works main "the rotation"
  assert_ge "$(reloads inotify success)" 1 "certgate_cert_reloads_total{trigger=inotify,result=success}"
  no_reload_failures
  ka_stop_all
}

# The kubelet ..data swap found by the stat() check alone (stat() follows the symlinks: new inode).
case_watch_stat_kubernetes_data_swap() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  std_certs "$CERTS"
  cert_install kube:kube:web "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN" --watch stat --stat-interval 200ms
  ka_start main kube.test
  leaf_new kube1 "DNS:kube.test"
  kube_rotate "$CERTS/web" "$CG_TMP/new/kube1.crt" "$CG_TMP/new/kube1.key"
  wait_serial 2 kube.test "$(cert_serial "$CG_TMP/new/kube1.crt")"
  wait_for 2 metric_is certgate_cert_reloads_total 'trigger="stat",result="success"' 1 || true
  assert_eq 1 "$(reloads stat success)" "certgate_cert_reloads_total{trigger=stat,result=success}"
  ka_still_works main "the ..data swap"
  no_reload_failures
  ka_stop_all
}

# --cert/--key pointing straight into a secret volume (its tls.crt/tls.key symlinks), rotated the kubelet
# way twice, with inotify only.
case_cert_key_flags_into_secret_volume_inotify_only() {
  admin_init
  up_start http
  local vol="$CG_TMP/volume"
  kube_secret_dir "$vol" "$CG_PKI/kube.crt" "$CG_PKI/kube.key"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert "$vol/tls.crt" --key "$vol/tls.key" --admin "127.0.0.1:$CG_ADMIN" --watch inotify
  ka_start main kube.test
  local i
  for i in 1 2; do
    leaf_new "kube$i" "DNS:kube.test"
    kube_rotate "$vol" "$CG_TMP/new/kube$i.crt" "$CG_TMP/new/kube$i.key"
    wait_serial 3 kube.test "$(cert_serial "$CG_TMP/new/kube$i.crt")"
  done
  assert_eq 2 "$(reloads inotify success)" "certgate_cert_reloads_total{trigger=inotify,result=success}"
  ka_still_works main "two rotations of the volume"
  no_reload_failures
  ka_stop_all
}

# --cert-dir is a symlink to a directory (a deploy tool's "current -> releases/N"), repointed to another
# directory while the previous one stays in place. The new directory's certificates must be served, and
# later changes inside it must be seen by inotify like in any watched directory.
symlinked_cert_dir_repointed() {
  admin_init
  up_start http
  cert_install alpha:pem exact:pem "$CG_TMP/v1"
  ln -s v1 "$CG_TMP/current"
  CERTS="$CG_TMP/current"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN" "$@"
  ka_start main
  leaf_new alpha1 "DNS:alpha.test"; leaf_new alpha2 "DNS:alpha.test"
  mkdir "$CG_TMP/v2"
  cp "$CG_TMP/new/alpha1.pem" "$CG_TMP/v2/alpha.pem"
  cert_install exact:pem "$CG_TMP/v2"
  ln -s v2 "$CG_TMP/current.tmp"
  mv -T "$CG_TMP/current.tmp" "$CG_TMP/current"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha1.crt")"
  assert_eq 1 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active after the repointing"
  replace_atomic "$CG_TMP/new/alpha2.pem" "$CERTS/alpha.pem"
  wait_serial 3 alpha.test "$(cert_serial "$CG_TMP/new/alpha2.crt")"
  assert_contains "$(grep 'certificate replaced cert=alpha ' "$CG_LOG" | tail -n 1)" "trigger=inotify" \
    "trigger of the rotation inside the new target (inotify watches the directory --cert-dir now names)"
  ka_still_works main "the repointing"
  no_reload_failures
  ka_stop_all
}
case_symlinked_cert_dir_repointed() { symlinked_cert_dir_repointed; }
case_symlinked_cert_dir_repointed_inotify_only() { symlinked_cert_dir_repointed --watch inotify; }

# A secret directory removed: its certificate is no longer served, and its (gone) directory leaves the
# watch set without a complaint: inotify is complete again.
case_secret_directory_removed() {
  admin_init
  up_start http
  CERTS="$CG_TMP/certs"
  std_certs "$CERTS"
  cert_install kube:kube:web "$CERTS"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CERTS" --admin "127.0.0.1:$CG_ADMIN"
  ka_start main kube.test
  rm -rf "$CERTS/web"
  wait_serial 3 kube.test "$(cert_serial "$CG_PKI/alpha.crt")"
  assert_contains "$(grep 'certificate removed' "$CG_LOG")" "cert=web" "removal logged"
  wait_for 3 metric_is certgate_cert_watcher_inotify_active "" 1 || true
  assert_serial_stays 1 kube.test "$(cert_serial "$CG_PKI/alpha.crt")"
  assert_eq 1 "$(metric certgate_cert_watcher_inotify_active)" "certgate_cert_watcher_inotify_active after the removal"
  assert_eq 0 "$(log_count 'cannot watch certificate directory')" "'cannot watch certificate directory' warnings"
  assert_eq absent "$(metric certgate_cert_not_after_timestamp_seconds 'cert="web"')" "notAfter metric for web"
  ka_still_works main "its certificate was removed"
  no_reload_failures
  ka_stop_all
}

run_cases "$@"
