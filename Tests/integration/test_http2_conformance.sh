#!/usr/bin/env bash
# HTTP/2 termination (issue 16 item 3): certgate started with --alpn h2,http/1.1 --forward-headers speaks
# HTTP/2 to the client and HTTP/1.1 to the upstream. Frame-level cases with h2_client.py (hand-built
# frames, Python h2 project's hyperframe + hpack):
#   - a normal request reaches the upstream as HTTP/1.1 with certgate's X-Forwarded-* (the client's
#     copies removed), and the connection serves a second stream;
#   - malformed requests (RFC 9113 8.1.1, 8.2.2, 8.3.1) are a stream error PROTOCOL_ERROR (RST_STREAM,
#     or GOAWAY) and never reach the upstream as a complete request;
#   - the known attacks (rapid reset CVE-2023-44487, CONTINUATION flood, HPACK bomb, SETTINGS and PING
#     floods) end in GOAWAY or a closed connection, are counted in $H2_ATTACK_METRIC{kind}, keep the
#     proxy's peak memory bounded, and a normal request on a new connection is served afterwards;
#   - h2spec, where a binary can be found or built (see h2spec_build.sh), passes but for one known
#     nghttp2 exception (5.1.1 #2, see case_h2spec).
# Until certgate terminates HTTP/2, its start-up with h2 and --forward-headers is refused (an error
# naming --alpn): every case then says SKIP. Cases also skip without Python h2 (Debian python3-h2).
# case-timeout: 180
source "$(dirname "$0")/lib.sh"

# The attack counter and its kind label values (adjust here if the implementation names them otherwise).
H2_ATTACK_METRIC=certgate_http2_attacks_total
H2_KIND_RAPID_RESET=rapid_reset
H2_KIND_CONTINUATION=continuation_flood
H2_KIND_HPACK_BOMB=hpack_bomb
H2_KIND_SETTINGS=settings_flood
H2_KIND_PING=ping_flood
# Peak RSS (VmHWM) certgate may gain during one attack (the HPACK bomb decodes to 256 MiB if unchecked).
H2_MAX_PEAK_GROWTH_KIB=65536

H2_CLIENT_PY="$IT_DIR/h2_client.py"
H2PY=""
UP_LOG=""

# h2_python : H2PY becomes a Python that has h2 (the suite's python3, else Debian's), or the case skips.
h2_python() {
  local p
  for p in "$PY" /usr/bin/python3; do
    if "$p" -c 'import h2, hpack, hyperframe' 2>/dev/null; then H2PY=$p; return 0; fi
  done
  skip "Python h2 is not installed for $PY or /usr/bin/python3 (Debian python3-h2, or pip install h2)"
}

# h2_start [certgate args] : std certificates + certgate with admin, --alpn h2,http/1.1 and
# --forward-headers, then http_upstream.py behind it (started second, so that a certgate that refuses h2
# at start-up makes the case skip at once).
h2_start() {
  h2_python
  UP_PORT=$(free_port)
  std_certs "$CG_TMP/certs"
  admin_init
  CG_PORT=$(free_port)
  local args=(run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
    --admin "127.0.0.1:$CG_ADMIN" --alpn h2,http/1.1 --forward-headers "$@")
  CG_SEQ=$((CG_SEQ + 1))
  CG_LOG="$CG_TMP/certgate-$CG_SEQ.log"
  note "start: certgate ${args[*]}"
  "$CG_BIN" "${args[@]}" >"$CG_LOG" 2>&1 &
  CG_PID=$!
  local rc=0
  wait_port "$CG_PORT" 20 "$CG_PID" || rc=$?
  if [ $rc -eq 2 ]; then
    local st=0
    wait "$CG_PID" || st=$?
    if grep -q -- '--alpn' "$CG_LOG" && grep -q 'h2' "$CG_LOG"; then
      skip "certgate does not terminate HTTP/2: start-up refused (status $st): $(head -n 1 "$CG_LOG" | cut -c1-100)…"
    fi
    fail "certgate exited with status $st during start-up: $(tail -n 3 "$CG_LOG")"
  fi
  CG_PIDS+=("$CG_PID")
  [ $rc -eq 0 ] || fail "certgate did not accept on 127.0.0.1:$CG_PORT within 20 s"
  wait_port "$CG_ADMIN" 20 "$CG_PID" || fail "certgate's admin port $CG_ADMIN did not open"
  UP_LOG="$CG_TMP/up.log"
  : > "$UP_LOG"
  "$PY" "$IT_DIR/http_upstream.py" --port "$UP_PORT" --log "$UP_LOG" >>"$CG_TMP/upstream.log" 2>&1 &
  _register_aux $!
  wait_port "$UP_PORT" 10 $! || { cat "$CG_TMP/upstream.log"; fail "http upstream did not start on $UP_PORT"; }
}

# h2c CASE [h2_client.py args] : one h2_client.py run against certgate (SNI alpha.test, the test CA); the
# JSON goes to $CG_TMP/CASE.json and is printed. A client that could not agree on h2 fails the case.
h2c() {
  local c=$1 rc=0
  shift
  "$H2PY" "$H2_CLIENT_PY" "$c" --port "$CG_PORT" --ca "$CG_PKI/ca.crt" "$@" >"$CG_TMP/$c.json" 2>>"$CG_TMP/client.err" || rc=$?
  note "h2_client.py $c: $(cut -c1-600 "$CG_TMP/$c.json")"
  [ $rc -eq 3 ] && fail "$c: h2 was not agreed by ALPN"
  [ $rc -eq 0 ] || fail "$c: h2_client.py status $rc: $(cat "$CG_TMP/$c.json") $(tail -n 5 "$CG_TMP/client.err")"
}

# r EXPR : EXPR evaluated on the last h2c result of case $H2_CASE (r = the JSON; lists one item a line).
r() {
  "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
if isinstance(v, bool): print("true" if v else "false")
elif v is None: print("")
else: print(v)' "$CG_TMP/$H2_CASE.json" "$1"
}

# upstream_requests TARGET : complete requests for TARGET the upstream received.
upstream_requests() {
  "$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and json.loads(l).get("event") == "request" and json.loads(l).get("target") == sys.argv[2]))' "$UP_LOG" "$1"
}

# upstream_head TARGET : the raw head of the first request for TARGET.
upstream_head() {
  "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l) if l.strip() else {}
    if e.get("event") == "request" and e.get("target") == sys.argv[2]:
        print(e["head"]); break' "$UP_LOG" "$1"
}

# head_field TARGET NAME : the values of field NAME (case-insensitive) in the head of the first request
# for TARGET, joined by " | ".
head_field() {
  "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l) if l.strip() else {}
    if e.get("event") == "request" and e.get("target") == sys.argv[2]:
        vals = [v.strip() for n, c, v in (x.partition(":") for x in e["head"].split("\r\n")[1:]) if c and n.lower() == sys.argv[3]]
        print(" | ".join(vals)); break' "$UP_LOG" "$1" "$2"
}

attacks() { local v; v=$(metric "$H2_ATTACK_METRIC" "kind=\"$1\""); [ "$v" = absent ] && v=0; echo "$v"; }
peak_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$CG_PID/status"; }

# served_normally WHAT : a new connection's GET is answered 200 by the upstream through certgate.
served_normally() {
  local H2_CASE=get
  h2c get --path /h2/after
  assert_eq 200 "$(r "r['status'].get('1')")" "GET on a new connection after $1"
}

# ---------------------------------------------------------------------------------------------------
# Requests that must pass

case_get_is_http1_upstream_with_forwarded_headers() {
  h2_start
  local H2_CASE=get head
  h2c get --then-get --header 'x-forwarded-for:6.6.6.6' --header 'x-forwarded-client-cert:By=spoofed;URI=spiffe://admin' \
    --header 'x-forwarded-proto:http'
  assert_eq h2 "$(r "r['alpn']")" "ALPN"
  assert_eq TLSv1.3 "$(r "r['tls']")" "TLS version"
  assert_eq 200 "$(r "r['status'].get('1')")" "status of stream 1"
  assert_eq 200 "$(r "r['followup_status']")" "status of a second stream on the same connection"
  head=$(upstream_head /h2/get)
  note "upstream saw: $head"
  assert_eq "GET /h2/get HTTP/1.1" "$(head -n 1 <<<"$head" | tr -d '\r')" "request line at the upstream"
  assert_eq "alpha.test" "$(head_field /h2/get host)" "Host (from :authority), once"
  assert_eq "127.0.0.1" "$(head_field /h2/get x-forwarded-for)" "X-Forwarded-For (certgate's only)"
  assert_eq "https" "$(head_field /h2/get x-forwarded-proto)" "X-Forwarded-Proto (certgate's only)"
  assert_eq "" "$(head_field /h2/get x-forwarded-client-cert)" "X-Forwarded-Client-Cert (none: no client certificate)"
  assert_not_contains "$head" "6.6.6.6" "upstream head (client's X-Forwarded-For)"
  assert_not_contains "$head" "spoofed" "upstream head (client's X-Forwarded-Client-Cert)"
}

case_te_trailers_is_allowed() {
  h2_start
  local H2_CASE=te-trailers
  h2c te-trailers
  assert_eq 200 "$(r "r['status'].get('1')")" "status with te: trailers"
  assert_eq 1 "$(upstream_requests /h2/te-trailers)" "requests at the upstream"
}

# ---------------------------------------------------------------------------------------------------
# Malformed requests: stream error PROTOCOL_ERROR (a 4xx answer first is allowed, RFC 9113 8.1.1)

# refused CASE WHAT : stream 1 ends with RST_STREAM(PROTOCOL_ERROR) or the connection with
# GOAWAY(PROTOCOL_ERROR); no 2xx/3xx; the upstream got no complete request; unless certgate sent GOAWAY,
# the same connection then serves a normal GET.
refused() {
  local H2_CASE=$1 what=$2 rst goaway status
  h2_start
  h2c "$1" --then-get
  rst=$(r "dict(r['rst_streams']).get(1, '')")
  goaway=$(r "(r['goaway'] or {}).get('error', '')")
  status=$(r "r['status'].get('1', '')")
  [ "$rst" = PROTOCOL_ERROR ] || [ "$goaway" = PROTOCOL_ERROR ] ||
    fail "$what: expected RST_STREAM or GOAWAY with PROTOCOL_ERROR, got rst=[$rst] goaway=[$goaway] status=[$status]"
  note "ok: $what: rst=[$rst] goaway=[$goaway]"
  [ -z "$status" ] || [ "$status" -ge 400 ] || fail "$what: answered $status"
  assert_eq 0 "$(upstream_requests "/h2/$1")" "$what: complete requests at the upstream"
  if [ -z "$goaway" ]; then
    assert_eq 200 "$(r "r['followup_status']")" "$what: a normal GET on the same connection afterwards"
  fi
}

case_refuses_missing_path() { refused no-path "HEADERS without :path"; }
case_refuses_uppercase_field_name() { refused uppercase "upper-case field name"; }
case_refuses_connection_header() { refused connection-header "connection: keep-alive"; }
case_refuses_transfer_encoding() { refused transfer-encoding "transfer-encoding: chunked"; }
case_refuses_te_gzip() { refused te-gzip "te: gzip"; }
case_refuses_content_length_mismatch() { refused content-length "content-length 10 with 5 bytes of DATA"; }
case_refuses_crlf_in_value() { refused crlf "CR LF in a field value"; }
case_refuses_lf_in_value() { refused lf "LF in a field value"; }
case_refuses_nul_in_value() { refused nul "NUL in a field value"; }

# ---------------------------------------------------------------------------------------------------
# Attacks: limited, counted, memory bounded, the proxy goes on serving

# attack CASE KIND WHAT [stream] : GOAWAY or a closed connection (with "stream": also an RST_STREAM or a
# 4xx answer on stream 1 is enough); KIND counted at least once; peak RSS grew by at most
# H2_MAX_PEAK_GROWTH_KIB; a new connection is served. Sets H2_CASE.
attack() {
  local c=$1 kind=$2 what=$3 level=${4:-connection} before peak0 peak1 goaway closed rst status
  h2_start
  H2_CASE=get
  h2c get --path /h2/warm-up
  before=$(attacks "$kind")
  peak0=$(peak_kib)
  H2_CASE=$c
  h2c "$c"
  goaway=$(r "(r['goaway'] or {}).get('error', '')")
  closed=$(r "r['closed']")
  rst=$(r "dict(r['rst_streams']).get(1, '')")
  status=$(r "r['status'].get('1', '')")
  if [ -z "$goaway" ] && [ "$closed" != true ]; then
    local or=""
    [ "$level" = stream ] && or=", RST_STREAM or 4xx on stream 1"
    [ "$level" = stream ] && { [ -n "$rst" ] || [[ $status == 4?? ]]; } ||
      fail "$what: expected GOAWAY or a closed connection$or; got none ($(cut -c1-400 "$CG_TMP/$c.json"))"
  fi
  note "ok: $what: goaway=[$goaway] closed=[$closed] rst=[$rst] status=[$status] sent=$(r "r['sent']")"
  wait_for 5 metric_ge "$H2_ATTACK_METRIC" "kind=\"$kind\"" $((before + 1)) ||
    fail "$what: $H2_ATTACK_METRIC{kind=\"$kind\"} did not move from $before (now $(attacks "$kind"))"
  note "ok: $H2_ATTACK_METRIC{kind=\"$kind\"} $before -> $(attacks "$kind")"
  peak1=$(peak_kib)
  assert_le $((peak1 - peak0)) "$H2_MAX_PEAK_GROWTH_KIB" "$what: growth of certgate's peak RSS in KiB ($peak0 -> $peak1)"
  served_normally "$what"
  H2_CASE=$c
}

case_rapid_reset() {
  attack rapid-reset "$H2_KIND_RAPID_RESET" "rapid reset (5000 streams opened and reset)"
  local sent
  sent=$(r "r['sent']")
  note "streams sent before certgate stopped it: $sent"
}

case_continuation_flood() {
  attack continuation-flood "$H2_KIND_CONTINUATION" "CONTINUATION flood (2000 frames, no END_HEADERS)"
  assert_eq 0 "$(upstream_requests /h2/continuation-flood)" "requests at the upstream"
}

case_hpack_bomb() {
  attack hpack-bomb "$H2_KIND_HPACK_BOMB" "HPACK bomb (65536 references to a 4000-byte entry)" stream
  local status
  status=$(r "r['status'].get('1', '')")
  [ -z "$status" ] || [ "$status" -ge 400 ] || fail "HPACK bomb answered $status"
  assert_eq 0 "$(upstream_requests /h2/hpack-bomb)" "requests at the upstream"
}

case_settings_flood() { attack settings-flood "$H2_KIND_SETTINGS" "SETTINGS flood (ACKs not read)"; }
case_ping_flood() { attack ping-flood "$H2_KIND_PING" "PING flood (ACKs not read)"; }

# ---------------------------------------------------------------------------------------------------
# h2spec (https://github.com/summerwind/h2spec): $H2SPEC, else h2spec on PATH, else built from a
# checkout in $H2SPEC_SRC by h2spec_build.sh (Debian's Go); skipped when none of these is there.
# One known exception: 5.1.1 #2 (HEADERS on stream 3 after stream 5 must be a connection error).
# nghttp2 ignores such a header block on purpose: it does not remember every stream it has closed, so
# it cannot tell a lower id from a stream it has forgotten (nghttp2_session.c,
# session_on_request_headers_received); the stream is never opened and nothing reaches the upstream.

case_h2spec() {
  local bin=${H2SPEC:-}
  [ -n "$bin" ] || bin=$(command -v h2spec || true)
  if [ -z "$bin" ] && [ -n "${H2SPEC_SRC:-}" ]; then
    bin=$("$IT_DIR/h2spec_build.sh" "$H2SPEC_SRC" 2>"$CG_TMP/h2spec-build.err") ||
      skip "h2spec could not be built from $H2SPEC_SRC: $(tail -n 1 "$CG_TMP/h2spec-build.err")"
  fi
  [ -n "$bin" ] || skip "no h2spec (set H2SPEC=binary or H2SPEC_SRC=checkout; see h2spec_build.sh)"
  h2_start
  local rc=0
  "$bin" -t -k -h 127.0.0.1 -p "$CG_PORT" -o 2 -j "$CG_TMP/h2spec.xml" >"$CG_TMP/h2spec.out" 2>&1 || rc=$?
  grep -E '^[0-9]+ tests,' "$CG_TMP/h2spec.out" | sed 's/^/# h2spec: /'
  [ -s "$CG_TMP/h2spec.xml" ] || { tail -n 40 "$CG_TMP/h2spec.out"; fail "h2spec wrote no report (status $rc)"; }
  # Every case passes but the known exceptions (H2SPEC_KNOWN_FAILURES); a known one that starts to pass
  # is fine, any other failure fails the case.
  local unexpected
  unexpected=$("$PY" - "$CG_TMP/h2spec.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
known = {"http2/5.1.1: Sends stream identifier that is numerically smaller than previous"}
failed = [f"{c.get('package')}: {c.get('classname')}" for c in ET.parse(sys.argv[1]).iter("testcase")
          if c.find("error") is not None or c.find("failure") is not None]
print("\n".join(f for f in failed if f not in known))
PYEOF
  )
  [ -z "$unexpected" ] || { grep -B1 -A6 '×' "$CG_TMP/h2spec.out" | tail -n 80; fail "h2spec failures beyond the known one: $unexpected"; }
  assert_match "$(tail -n 1 "$CG_TMP/h2spec.out")" '^146 tests, 14[56] passed, 0 skipped, [01] failed' "h2spec summary"
}

run_cases "$@"
