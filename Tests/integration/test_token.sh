#!/usr/bin/env bash
# Admin bearer token (--admin-token-file): required for /metrics, POST /reload and unknown paths (401 with
# WWW-Authenticate: Bearer), never for /healthz and /readyz; rotation takes effect within 2 s and retires
# the old token; a file that breaks keeps the previous token with one warning; the token never shows up
# in the log (at debug level) or in /metrics.
source "$(dirname "$0")/lib.sh"

TOKFILE=""

# t_start [certgate args] : std_start with the admin listener, a 64-hex-digit token in $TOKFILE
# (CG_ADMIN_TOKEN, so the metric helpers send it) and --log-level debug.
t_start() {
  admin_init
  TOKFILE="$CG_TMP/admin.token"
  openssl rand -hex 32 > "$TOKFILE"
  CG_ADMIN_TOKEN=$(cat "$TOKFILE")
  std_start --admin-token-file "$TOKFILE" --log-level debug "$@"
}

new_token() { openssl rand -hex 32; }

# assert_status EXPECTED METHOD PATH TOKEN WHAT
assert_status() { assert_eq "$1" "$(admin_req "$2" "$3" "$4")" "$5"; }

# assert_secret TOKEN... : none of the tokens (nor their first or last 16 characters) appears in any
# certgate log of this case or in the /metrics output (fetched with the token now in force).
assert_secret() {
  local t logs=("$CG_TMP"/certgate-*.log) part
  curl -sS --max-time 10 -H "Authorization: Bearer $CG_ADMIN_TOKEN" "http://127.0.0.1:$CG_ADMIN/metrics" > "$CG_TMP/metrics.txt" 2>&1 || true
  grep -q '^certgate_build_info' "$CG_TMP/metrics.txt" || fail "could not read /metrics with the token in force"
  for t in "$@"; do
    for part in "$t" "${t:0:16}" "${t: -16}"; do
      grep -F -- "$part" "${logs[@]}" && fail "token material [$part] appears in the certgate log (lines above)"
      grep -F -- "$part" "$CG_TMP/metrics.txt" && fail "token material [$part] appears in /metrics (lines above)"
    done
  done
  note "ok: ${#@} token(s) in neither the log ($(cat "${logs[@]}" | wc -l) lines, debug level) nor /metrics"
}

case_token_required() {
  t_start
  local tok=$CG_ADMIN_TOKEN wrong; wrong=$(new_token)
  assert_status 401 GET /metrics "" "GET /metrics without a token"
  assert_match "$(cat "$CG_TMP/admin.head")" '^(WWW|Www|www)-(A|a)uthenticate: Bearer' "WWW-Authenticate header of the 401"
  assert_status 401 GET /metrics "$wrong" "GET /metrics with a wrong token"
  assert_match "$(cat "$CG_TMP/admin.head")" '^(WWW|Www|www)-(A|a)uthenticate: Bearer' "WWW-Authenticate header of the 401 (wrong token)"
  assert_eq 401 "$(admin_req GET /metrics "" "Authorization: Basic $(printf 'x:%s' "$tok" | base64 -w0)")" "GET /metrics with the token as Basic credentials"
  assert_eq 401 "$(admin_req GET /metrics "" "Authorization: Bearer ${tok}x")" "GET /metrics with the token plus one character"
  assert_eq 401 "$(admin_req GET /metrics "" "Authorization: Bearer ${tok:0:63}")" "GET /metrics with the token minus its last character"
  assert_status 200 GET /metrics "$tok" "GET /metrics with the token"
  assert_contains "$(cat "$CG_TMP/admin.body")" "certgate_build_info" "/metrics body with the token"
  assert_eq 200 "$(admin_req GET /metrics "" "Authorization: bearer $tok")" "GET /metrics with scheme 'bearer' (case-insensitive)"
  # POST /reload: a refused request must not reload.
  snap certgate_cert_reloads_total > "$CG_TMP/r0"
  assert_status 401 POST /reload "" "POST /reload without a token"
  assert_status 401 POST /reload "$wrong" "POST /reload with a wrong token"
  assert_moved certgate_cert_reloads_total "$CG_TMP/r0"
  assert_status 200 POST /reload "$tok" "POST /reload with the token"
  assert_contains "$(cat "$CG_TMP/admin.body")" '"trigger":"admin"' "POST /reload answer"
  assert_moved certgate_cert_reloads_total "$CG_TMP/r0" 'trigger="admin",result="unchanged"@1'
  # Unknown paths: 401 first, 404 only with the token.
  assert_status 401 GET /no-such-path "" "GET /no-such-path without a token"
  assert_status 404 GET /no-such-path "$tok" "GET /no-such-path with the token"
  # Health endpoints stay open, with or without (even a wrong) token.
  assert_status 200 GET /healthz "" "GET /healthz without a token"
  assert_status 200 GET /readyz "" "GET /readyz without a token"
  assert_status 200 GET /healthz "$wrong" "GET /healthz with a wrong token"
  assert_status 200 GET /readyz "$wrong" "GET /readyz with a wrong token"
  assert_secret "$tok"
}

_new_works() { [ "$(admin_req GET /metrics "$1")" = 200 ]; }

# assert_rotated NEW OLD T0_MS WHAT : after the rotation made at T0_MS, the NEW token is accepted within
# 2 s, and from then on the OLD one is refused (GET /metrics and POST /reload).
assert_rotated() {
  local new=$1 old=$2 t0=$3 what=$4 took
  wait_for 3 _new_works "$new" || fail "$what: the new token is still refused 3 s after the rotation"
  took=$(( $(now_ms) - t0 ))
  note "new token accepted $took ms after the rotation ($what)"
  assert_le "$took" 2000 "ms until the new token works ($what)"
  assert_status 401 GET /metrics "$old" "GET /metrics with the old token after the rotation ($what)"
  assert_status 401 POST /reload "$old" "POST /reload with the old token after the rotation ($what)"
  assert_status 200 POST /reload "$new" "POST /reload with the new token ($what)"
  CG_ADMIN_TOKEN=$new
}

case_token_rotation() {
  t_start
  local t1=$CG_ADMIN_TOKEN t2 t3 t0
  assert_status 200 GET /metrics "$t1" "GET /metrics with the first token"
  # 1. Written in place.
  t2=$(new_token)
  t0=$(now_ms)
  printf '%s\n' "$t2" > "$TOKFILE"
  assert_rotated "$t2" "$t1" "$t0" "written in place"
  wait_for 3 grep -q "admin token replaced" "$CG_LOG" || fail "no 'admin token replaced' log line"
  # 2. A new file renamed over it (and without the trailing newline).
  t3=$(new_token)
  printf '%s' "$t3" > "$CG_TMP/.admin.token.new"
  t0=$(now_ms)
  mv -f "$CG_TMP/.admin.token.new" "$TOKFILE"
  assert_rotated "$t3" "$t2" "$t0" "renamed over"
  assert_status 401 GET /metrics "$t1" "GET /metrics with the first token"
  wait_for 3 sh -c "[ \$(grep -c 'admin token replaced' '$CG_LOG') -ge 2 ]" || fail "no second 'admin token replaced' log line"
  assert_eq 0 "$(grep -E '^[^ ]+ (warning|error|critical) ' "$CG_LOG" | grep -c 'admin token')" "warnings or errors about the token file"
  assert_secret "$t1" "$t2" "$t3"
}

case_token_file_emptied_keeps_previous() {
  t_start
  local t1=$CG_ADMIN_TOKEN t2
  : > "$TOKFILE"
  wait_for 4 grep -q "warning .*admin token" "$CG_LOG" || fail "no warning about the emptied token file within 4 s"
  grep "admin token" "$CG_LOG" | sed 's/^/# log: /'
  assert_contains "$(grep 'warning .*admin token' "$CG_LOG")" "$TOKFILE" "the warning names the file"
  assert_status 200 GET /metrics "$t1" "GET /metrics with the previous token while the file is empty"
  assert_status 401 GET /metrics "" "GET /metrics without a token while the file is empty"
  # Retries go on every second (logged at debug level): let two of them happen, then count the warnings.
  wait_for 5 sh -c "[ \$(grep -c 'admin token file still unusable' '$CG_LOG') -ge 2 ]" \
    || note "no two 'still unusable' debug lines within 5 s (counting the warnings anyway)"
  assert_eq 1 "$(grep -cE '^[^ ]+ warning .*admin token' "$CG_LOG")" "warning lines about the token file after several retries"
  assert_status 200 GET /metrics "$t1" "GET /metrics with the previous token, retries later"
  assert_status 200 POST /reload "$t1" "POST /reload with the previous token while the file is empty"
  # Deleted: still the previous token.
  rm -f "$TOKFILE"
  wait_for 5 sh -c "[ \$(grep -c 'admin token file still unusable' '$CG_LOG') -ge 3 ]" || true
  assert_status 200 GET /metrics "$t1" "GET /metrics with the previous token while the file is missing"
  # A usable file again: its token is in force, the previous one is retired.
  t2=$(new_token)
  local t0; t0=$(now_ms)
  printf '%s\n' "$t2" > "$TOKFILE"
  assert_rotated "$t2" "$t1" "$t0" "file usable again"
  wait_for 3 grep -q "admin token file usable again" "$CG_LOG" || fail "no 'admin token file usable again' log line"
  assert_secret "$t1" "$t2"
}

# The token file content is taken as one token with the surrounding white space trimmed.
case_token_surrounding_whitespace_trimmed() {
  admin_init
  TOKFILE="$CG_TMP/admin.token"
  local t; t=$(new_token)
  printf '  \n%s \r\n\n' "$t" > "$TOKFILE"
  CG_ADMIN_TOKEN=$t
  std_start --admin-token-file "$TOKFILE" --log-level debug
  assert_status 200 GET /metrics "$t" "GET /metrics with the trimmed token"
  assert_status 401 GET /metrics "" "GET /metrics without a token"
  assert_secret "$t"
}

run_cases "$@"
