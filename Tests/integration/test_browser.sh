#!/usr/bin/env bash
# Real-browser tests: headless Chromium (Debian `chromium`) through certgate to real upstreams
# (browser_upstream.py: HTML pages, a WebSocket echo, held subresources, a polling page). Trust comes from
# an NSS database in a temporary $HOME (certutil, libnss3-tools), never from --ignore-certificate-errors;
# client certificates are imported with pk12util and chosen by the AutoSelectCertificateForUrls policy.
# HTTP/1.1 and HTTP/2: each case runs without --alpn (HTTP/1.1) and in an HTTP/2 variant (*_http2*: --alpn
# h2,http/1.1, terminated by certgate onto the HTTP/1.1 upstream). The subresource case is h2 only; the
# rotation case has an h2 counterpart with a polling page in place of the WebSocket, and so does a
# client-trust reload (its GOAWAY moves the page to a new connection without a failed fetch). Each page
# writes the protocol Chromium loaded it over (the navigation entry's nextHopProtocol) into its DOM, and
# the h2 cases also check certgate's protocol metrics. The WebSocket goes on an HTTP/1.1 connection of its
# own even with h2 offered: certgate does not send SETTINGS_ENABLE_CONNECT_PROTOCOL, so Chromium does not
# use RFC 8441 over the h2 connection.
#
# Skips (one clear line) when chromium or the NSS tools are missing or Chromium cannot start here, and
# unless CG_BROWSER=1 (scripts/test --browser sets it). As root Chromium needs --no-sandbox (it refuses
# to start otherwise); as any other user it runs with its sandbox.
# case-timeout: 90
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/browser_lib.sh"

_page_load_trusted_through_nss() {
  alpha_setup "$1"
  local url="https://alpha.test:$CG_PORT/page"
  # Without the test CA in the NSS database the page must not load (so the trust below is what counts).
  nss_home "$CG_TMP/untrusted"
  browse "$CG_TMP/untrusted" "$url" "$CG_TMP/untrusted.html" || true
  assert_not_contains "$(cat "$CG_TMP/untrusted.html")" "hello through certgate" "DOM with an NSS database that lacks the test CA"
  assert_contains "$(cat "$CG_TMP/untrusted.html.err")" "net::ERR_CERT_AUTHORITY_INVALID" "chromium's error without the test CA"
  nss_home "$CG_TMP/trusted" "$CG_PKI/ca.crt"
  browse "$CG_TMP/trusted" "$url" "$CG_TMP/page.html" || fail "chromium failed: $(tail -n 3 "$CG_TMP/page.html.err")"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/page.html" greeting)" "greeting in the DOM"
  assert_protocol "$CG_TMP/page.html"
  if [ "$1" = h1 ]; then
    assert_eq "[]" "$(dom_text "$CG_TMP/page.html" x-forwarded-for)" "X-Forwarded-For seen upstream (no --forward-headers)"
    assert_eq 0 "$(conns h2)" "h2 connections"
    assert_ge "$(conns http1)" 1 "HTTP/1.1 connections"
  else
    # Terminated HTTP/2 always sets the forwarding fields, --forward-headers or not.
    assert_eq '["127.0.0.1"]' "$(dom_text "$CG_TMP/page.html" x-forwarded-for | unq)" "X-Forwarded-For seen upstream (h2)"
    assert_conns 1+ 0
    assert_ge "$(h2_requests forwarded)" 1 "h2 requests forwarded"
    assert_eq 0 "$(h2_requests refused)" "h2 requests refused"
  fi
}
case_page_load_trusted_through_nss() { _page_load_trusted_through_nss h1; }
case_page_load_trusted_through_nss_http2() { _page_load_trusted_through_nss h2; }

# --forward-headers: the page's own script sends X-Forwarded-For/-Proto and XFCC of its own (a synchronous
# XMLHttpRequest may set them); the upstream sees certgate's values only.
_forward_headers_against_page_script() {
  alpha_setup "$1" --forward-headers
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/spoof.html" "$CG_TMP/spoof.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/spoof.html.err")"
  assert_protocol "$CG_TMP/spoof.html"
  assert_eq 200 "$(dom_text "$CG_TMP/spoof.html" spoof-status)" "status of the script's request"
  assert_eq '["127.0.0.1"]' "$(dom_text "$CG_TMP/spoof.html" spoof-x-forwarded-for | unq)" "X-Forwarded-For seen upstream"
  assert_eq '["https"]' "$(dom_text "$CG_TMP/spoof.html" spoof-x-forwarded-proto | unq)" "X-Forwarded-Proto seen upstream"
  assert_eq '[]' "$(dom_text "$CG_TMP/spoof.html" spoof-x-forwarded-client-cert | unq)" "XFCC seen upstream (no client certificate)"
  if [ "$1" = h2 ]; then
    assert_conns 1+ 0
    assert_ge "$(h2_requests forwarded)" 2 "h2 requests forwarded (the page and the script's request)"
  fi
}
case_forward_headers_against_page_script() { _forward_headers_against_page_script h1; }
case_forward_headers_against_page_script_http2() { _forward_headers_against_page_script h2; }

# 20 subresources (10 images, 10 async scripts) that the upstream holds until all 20 have arrived: over
# HTTP/2 they must all be in flight at once on the page's one connection (Chromium opens at most 6
# HTTP/1.1 connections to a host), each forwarded as an HTTP/1.1 request on a pooled upstream connection.
case_subresources_multiplexed_over_http2() {
  alpha_setup h2
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  local n=20 t0 t1
  t0=$(now_ms)
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/multi.html?n=$n&g=m" "$CG_TMP/multi.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/multi.html.err")"
  t1=$(now_ms)
  note "page with $n held subresources loaded in $((t1 - t0)) ms"
  local f="$CG_TMP/multi.html" log="$CG_TMP/bup/slow.log"
  assert_protocol "$f"
  assert_eq "$n" "$(dom_text "$f" loaded)" "subresources loaded (images and scripts)"
  assert_eq 0 "$(dom_text "$f" failed)" "subresources failed"
  assert_eq "$n" "$(dom_text "$f" sub-entries)" "subresource timing entries"
  assert_eq h2 "$(dom_text "$f" sub-protocols)" "protocols of the subresources"
  assert_eq 0 "$(dom_text "$f" sub-new-connections)" "subresources that opened a connection of their own"
  assert_eq "$n" "$(wc -l < "$log")" "subresource requests seen upstream"
  assert_eq "$n" "$(grep -c ' HTTP/1.1$' "$log")" "of them HTTP/1.1 requests"
  assert_eq "$n" "$(awk '{ print $3 }' "$log" | sort -n | tail -n 1)" "subresource requests in flight at once upstream"
  assert_conns 1+ 0
  assert_le "$(conns h2)" 2 "h2 connections (the page's and at most one preconnected)"
  assert_ge "$(h2_requests forwarded)" $((n + 1)) "h2 requests forwarded (the page and its subresources)"
  assert_eq 0 "$(h2_requests refused)" "h2 requests refused"
  assert_ge "$(metric certgate_upstream_pool_connects_total)" "$n" "upstream pool connections (one request in flight on each)"
}

# Data through a page: three cookies reach the upstream as one Cookie line; 10 responses aborted after
# their first bytes, each followed by a request that gets its own answer (an upstream connection with a
# response cut off is not reused); an 8 MiB download and a 4 MiB upload intact (SHA-256 in the page and
# upstream); 150 requests at once (over h2 more than certgate's 100 concurrent streams) all answered.
_data_through_page() {
  alpha_setup "$1"
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  B_TIMEOUT=60 browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/data.html" "$CG_TMP/data.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/data.html.err")"
  local f="$CG_TMP/data.html"
  assert_eq "" "$(dom_text "$f" error)" "error in the page's script"
  assert_eq yes "$(dom_text "$f" done)" "the page's script finished"
  assert_protocol "$f"
  assert_eq '["a=1; b=2; c=3"]' "$(dom_text "$f" cookie | unq)" "Cookie fields seen upstream"
  assert_eq 10 "$(dom_text "$f" aborted)" "responses aborted by the page"
  assert_eq 10 "$(dom_text "$f" after-abort)" "requests after an abort answered with their own response"
  assert_eq $((8 << 20)) "$(dom_text "$f" big-len)" "download length"
  assert_eq "$(cat "$CG_TMP/bup/big.log")" "$(dom_text "$f" big-sha)" "download SHA-256 (page) = sent (upstream)"
  assert_eq "$(dom_text "$f" upload-want)" "$(dom_text "$f" upload)" "upload length and SHA-256 (upstream) = sent (page)"
  assert_eq 150 "$(dom_text "$f" many)" "requests at once answered"
  if [ "$1" = h2 ]; then
    assert_conns 1+ 0
    assert_ge "$(h2_requests reset)" 10 "h2 streams reset (the aborted responses)"
    assert_eq 0 "$(h2_requests refused)" "h2 requests refused"
    assert_eq 0 "$(h2_requests upstream_failed)" "h2 requests failed upstream"
    assert_eq 0 "$(metric certgate_http2_attacks_total)" "h2 defences fired"
    assert_eq 0 "$(metric certgate_http2_protocol_errors_total)" "h2 protocol errors"
  fi
}
case_data_through_page() { _data_through_page h1; }
case_data_through_page_http2() { _data_through_page h2; }

_client_certificate_auto_selected() {
  browser_init
  variant "$1"
  [ -w /etc ] || skip "cannot write the managed policy under /etc/chromium/policies (not root)"
  MT="$CG_TMP/mt"
  mtls_pki "$MT" || fail "client PKI"
  cat "$MT/caA.crt" > "$MT/clientca.pem"
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  bcg_start --cert-dir "$CG_TMP/certs" --client-ca "$MT/clientca.pem" --client-auth require --forward-headers \
    "${ALPN[@]}"
  local url="https://alpha.test:$CG_PORT/page" home="$CG_TMP/home"
  nss_home "$home" "$CG_PKI/ca.crt"
  # Two client certificates in the database (A, trusted by certgate, and B, not): the policy's issuer
  # filter must pick A.
  local c
  for c in A B; do
    openssl pkcs12 -export -in "$MT/cl$c.crt" -inkey "$MT/cl$c.key" -name "client-$c" -passout pass:pw \
      -out "$MT/cl$c.p12" || fail "pkcs12 export of client $c"
    pk12util -d "sql:$home/.pki/nssdb" -i "$MT/cl$c.p12" -W pw >/dev/null || fail "pk12util import of client $c"
  done
  # Without the policy headless Chromium sends no certificate (it waits for a choice nobody makes), and
  # the page does not load.
  local rc=0
  B_TIMEOUT=10 browse "$home" "$url" "$CG_TMP/nopolicy.html" || rc=$?
  assert_ne 0 "$rc" "chromium's status without the policy (124: still waiting for a certificate choice at 10 s)"
  assert_not_contains "$(cat "$CG_TMP/nopolicy.html")" "hello through certgate" "DOM without the AutoSelectCertificateForUrls policy"
  POLICY_FILE="/etc/chromium/policies/managed/certgate-test-$$.json"
  mkdir -p /etc/chromium/policies/managed
  trap '_cleanup; rm -f "$POLICY_FILE"' EXIT
  "$PY" - "$POLICY_FILE" "https://alpha.test:$CG_PORT" <<'EOF' || fail "writing the policy"
import json, sys
rule = {"pattern": sys.argv[2], "filter": {"ISSUER": {"CN": "client-ca-A"}}}
json.dump({"AutoSelectCertificateForUrls": [json.dumps(rule)]}, open(sys.argv[1], "w"))
EOF
  note "policy $POLICY_FILE: $(cat "$POLICY_FILE")"
  browse "$home" "$url" "$CG_TMP/page.html" || fail "chromium failed: $(tail -n 3 "$CG_TMP/page.html.err")"
  rm -f "$POLICY_FILE"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/page.html" greeting)" "greeting in the DOM (client certificate required)"
  assert_protocol "$CG_TMP/page.html"
  local xfcc
  xfcc=$(dom_text "$CG_TMP/page.html" x-forwarded-client-cert)
  assert_contains "$xfcc" "CN=client-A" "X-Forwarded-Client-Cert seen upstream"
  assert_not_contains "$xfcc" "client-B" "X-Forwarded-Client-Cert seen upstream"
  if [ "$1" = h2 ]; then
    assert_conns 1+ 0
    assert_ge "$(h2_requests forwarded)" 1 "h2 requests forwarded"
  fi
}
case_client_certificate_auto_selected() { _client_certificate_auto_selected h1; }
case_client_certificate_auto_selected_http2() { _client_certificate_auto_selected h2; }

# With h2 offered the page comes over HTTP/2 but its WebSocket does not: certgate's SETTINGS carry no
# SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441), so Chromium opens the WebSocket on a new connection on
# which it offers only http/1.1, and the upgrade goes through the --forward-headers rules there.
_websocket_echo_forward_headers() {
  alpha_setup "$1" --forward-headers
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/ws.html" "$CG_TMP/ws.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/ws.html.err")"
  local dom; dom=$(cat "$CG_TMP/ws.html")
  [ -n "$dom" ] || fail "empty DOM"
  assert_protocol "$CG_TMP/ws.html"
  assert_eq "hello-1" "$(dom_text "$CG_TMP/ws.html" echo)" "WebSocket echo written into the DOM"
  assert_eq "open" "$(dom_text "$CG_TMP/ws.html" state)" "WebSocket state at the load event"
  assert_eq "open;" "$(dom_text "$CG_TMP/ws.html" events)" "WebSocket events"
  # The upgrade request went through the forwarding rules: the upstream saw certgate's headers.
  local first; first=$(dom_text "$CG_TMP/ws.html" first | unq)
  assert_contains "$first" '"X-Forwarded-For": ["127.0.0.1"]' "headers of the upgrade request seen upstream"
  assert_contains "$first" '"X-Forwarded-Proto": ["https"]' "headers of the upgrade request seen upstream"
  assert_eq 1 "$(ws_lines '^1 hello-1$')" "hello-1 received by the upstream on WebSocket connection 1"
  if [ "$1" = h2 ]; then
    # One HTTP/1.1 connection, the WebSocket's; no extended CONNECT tried on the h2 connection (certgate
    # would refuse a :protocol stream).
    assert_conns 1+ 1
    assert_eq 0 "$(h2_requests refused)" "h2 requests refused (no RFC 8441 CONNECT tried)"
    assert_ge "$(h2_requests forwarded)" 2 "h2 requests forwarded (the page and /hold)"
    if command -v nghttp >/dev/null 2>&1; then
      local settings
      settings=$(nghttp -nv "https://127.0.0.1:$CG_PORT/page" 2>&1 | sed -n '/recv SETTINGS frame <length=[1-9]/,/^\[/p')
      note "certgate's SETTINGS: $(tr -s ' \n' ' ' <<<"$settings")"
      assert_contains "$settings" "SETTINGS_MAX_CONCURRENT_STREAMS" "certgate's SETTINGS frame (nghttp -v)"
      assert_not_contains "$settings" "ENABLE_CONNECT_PROTOCOL" "certgate's SETTINGS frame (nghttp -v)"
    else
      note "no nghttp here (nghttp2-client): certgate's SETTINGS frame not checked"
    fi
  fi
}
case_websocket_echo_forward_headers() { _websocket_echo_forward_headers h1; }
case_websocket_echo_forward_headers_http2_offered() { _websocket_echo_forward_headers h2; }

case_rotation_keeps_websocket() {
  browser_init
  variant h1
  bup_start
  rotation_setup
  # The long-lived page: its WebSocket sends a tick every 100 ms until /hold?key=rot is released.
  browse "$CG_TMP/home" "https://kube.test:$CG_PORT/ws.html?key=rot" "$CG_TMP/ws.html" &
  local bpid=$!
  _register_aux "$bpid"
  wait_for 20 _ws_ticks_past 3 || fail "the page's WebSocket never ticked: $(tail -n 3 "$CG_TMP/ws.html.err")"
  rotate_after_refusal
  local t; t=$(ws_lines ' tick-')
  wait_for 10 _ws_ticks_past $((t + 10)) || fail "the WebSocket stopped after the rotation (ticks stuck at $(ws_lines ' tick-'))"
  note "ok: WebSocket ticks $t at the rotation, $(ws_lines ' tick-') now"
  after_browser_loads
  touch "$CG_TMP/bup/release-rot"
  wait "$bpid" || fail "the long-lived chromium failed: $(tail -n 3 "$CG_TMP/ws.html.err")"
  assert_eq "open" "$(dom_text "$CG_TMP/ws.html" state)" "WebSocket state at the end"
  assert_eq "open;" "$(dom_text "$CG_TMP/ws.html" events)" "WebSocket events (no error, no close)"
  assert_ge "$(dom_text "$CG_TMP/ws.html" ticks)" $((t + 10)) "ticks echoed back to the page"
  assert_eq 0 "$(grep -vc '^1 ' "$CG_TMP/bup/ws.log")" "upstream lines from any WebSocket connection but the first"
}

# The HTTP/2 counterpart: a page loaded over h2 fetches /tick every 100 ms, each fetch a new stream on
# the page's h2 connection; across the rotation the fetches go on on that same connection (no new h2
# connection at certgate, none opened by the fetches as the page's resource timing sees them).
case_rotation_keeps_http2_connection() {
  browser_init
  variant h2
  bup_start
  rotation_setup "${ALPN[@]}"
  browse "$CG_TMP/home" "https://kube.test:$CG_PORT/poll.html?key=rot" "$CG_TMP/poll.html" &
  local bpid=$!
  _register_aux "$bpid"
  wait_for 20 _ticks_past 3 || fail "the page never fetched a tick: $(tail -n 3 "$CG_TMP/poll.html.err")"
  local h2c; h2c=$(conns h2)
  assert_conns 1+ 0
  rotate_after_refusal
  local t; t=$(tick_lines)
  wait_for 10 _ticks_past $((t + 10)) || fail "the page's fetches stopped after the rotation (stuck at $(tick_lines))"
  note "ok: ticks $t at the rotation, $(tick_lines) now"
  assert_eq "$h2c" "$(conns h2)" "h2 connections after the rotation (the page kept its connection)"
  # Counted while the page still polls: no stream was reset across the rotation. (At the end a
  # browser that exits with a fetch in flight resets that stream itself, so the end allows that.)
  assert_eq 0 "$(h2_requests reset)" "h2 streams reset across the rotation"
  after_browser_loads
  assert_ge "$(conns h2)" $((h2c + 1)) "h2 connections after the second-root browser"
  touch "$CG_TMP/bup/release-rot"
  wait "$bpid" || fail "the long-lived chromium failed: $(tail -n 3 "$CG_TMP/poll.html.err")"
  local f="$CG_TMP/poll.html"
  assert_protocol "$f"
  assert_eq 0 "$(dom_text "$f" errors)" "failed tick fetches"
  assert_ge "$(dom_text "$f" ticks)" $((t + 10)) "tick fetches answered"
  assert_eq h2 "$(dom_text "$f" tick-protocols)" "protocols of the tick fetches"
  assert_eq 0 "$(dom_text "$f" tick-new-connections)" "tick fetches that opened a connection"
  assert_le "$(h2_requests reset)" 2 "h2 streams reset by the end (at most a fetch in flight per exiting browser)"
}

# A reload that brings new client trust sends GOAWAY to every h2 connection: the polling page's next
# fetches go on over one new h2 connection, none of them failing (--client-auth optional; the browser
# has no client certificate, so it sends none).
case_client_trust_reload_moves_http2_page() {
  browser_init
  variant h2
  MT="$CG_TMP/mt"
  mtls_pki "$MT" || fail "client PKI"
  cat "$MT/caA.crt" > "$MT/clientca.pem"
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  bcg_start --cert-dir "$CG_TMP/certs" --client-ca "$MT/clientca.pem" --client-auth optional "${ALPN[@]}"
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/poll.html?key=trust" "$CG_TMP/poll.html" &
  local bpid=$!
  _register_aux "$bpid"
  wait_for 20 _ticks_past 3 || fail "the page never fetched a tick: $(tail -n 3 "$CG_TMP/poll.html.err")"
  local h2c; h2c=$(conns h2)
  assert_conns 1+ 0
  cat "$MT/caA.crt" "$MT/caB.crt" > "$MT/clientca.pem"
  kill -HUP "$CG_PID"
  wait_for 10 log_count "client CA generation added" || fail "no client CA reload logged"
  local t; t=$(tick_lines)
  wait_for 10 _ticks_past $((t + 10)) || fail "the page's fetches stopped after the reload (stuck at $(tick_lines))"
  note "ok: ticks $t at the reload, $(tick_lines) now"
  assert_ge "$(conns h2)" $((h2c + 1)) "h2 connections after the reload (the page's fetches moved)"
  touch "$CG_TMP/bup/release-trust"
  wait "$bpid" || fail "the long-lived chromium failed: $(tail -n 3 "$CG_TMP/poll.html.err")"
  local f="$CG_TMP/poll.html"
  assert_protocol "$f"
  assert_eq 0 "$(dom_text "$f" errors)" "failed tick fetches"
  assert_ge "$(dom_text "$f" ticks)" $((t + 10)) "tick fetches answered"
  assert_eq h2 "$(dom_text "$f" tick-protocols)" "protocols of the tick fetches"
  assert_eq 1 "$(dom_text "$f" tick-new-connections)" "tick fetches that opened a connection (the first after the GOAWAY)"
  assert_eq 0 "$(conns http1)" "HTTP/1.1 connections"
}

run_cases "$@"
