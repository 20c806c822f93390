#!/usr/bin/env bash
# Real-browser tests: headless Chromium (Debian `chromium`) through certgate to real upstreams
# (browser_upstream.py: HTML pages and a WebSocket echo). Trust comes from an NSS database in a temporary
# $HOME (certutil, libnss3-tools), never from --ignore-certificate-errors; client certificates are imported
# with pk12util and chosen by the AutoSelectCertificateForUrls policy. One case offers h2: Chromium loads
# the page over terminated HTTP/2 and opens its WebSocket on an HTTP/1.1 connection beside it.
#
# Skips (one clear line) when chromium or the NSS tools are missing or Chromium cannot start here, and
# unless CG_BROWSER=1 (scripts/test --browser sets it). As root Chromium needs --no-sandbox (it refuses
# to start otherwise); as any other user it runs with its sandbox.
# case-timeout: 90
source "$(dirname "$0")/lib.sh"

BROWSER_UP_PY="$IT_DIR/browser_upstream.py"
CHROME_FLAGS=(--headless --disable-gpu --no-first-run --disable-extensions --disable-sync
  --disable-background-networking --disable-component-update --disable-default-apps
  --host-resolver-rules="MAP *.test 127.0.0.1")
[ "$(id -u)" = 0 ] && CHROME_FLAGS+=(--no-sandbox)
POLICY_FILE=""

# browser_init : skip the case unless Chromium can run here.
browser_init() {
  [ "${CG_BROWSER:-}" = 1 ] || skip "browser tests run with CG_BROWSER=1 (scripts/test --browser)"
  local t
  for t in chromium certutil pk12util; do
    command -v "$t" >/dev/null 2>&1 || skip "no $t here (apt-get install chromium libnss3-tools)"
  done
  mkdir -p "$CG_TMP/probe-home"
  if ! HOME="$CG_TMP/probe-home" timeout 30 chromium "${CHROME_FLAGS[@]}" --user-data-dir="$CG_TMP/probe-profile" \
    --dump-dom 'data:text/html,<p>chromium-ok</p>' >"$CG_TMP/probe.out" 2>"$CG_TMP/probe.err" \
    || ! grep -q chromium-ok "$CG_TMP/probe.out"; then
    skip "chromium cannot start here: $(grep -v -e dbus -e '^$' "$CG_TMP/probe.err" | tail -n 1)"
  fi
}

# nss_home DIR [CAFILE...] : DIR becomes a $HOME whose NSS database (DIR/.pki/nssdb) trusts the CAFILEs
# for TLS servers (Chromium on Linux trusts its built-in root store plus the roots marked trusted there).
nss_home() {
  local dir=$1 ca i=0; shift
  mkdir -p "$dir/.pki/nssdb"
  certutil -d "sql:$dir/.pki/nssdb" -N --empty-password || fail "certutil -N in $dir"
  for ca in "$@"; do
    i=$((i + 1))
    certutil -d "sql:$dir/.pki/nssdb" -A -t C,, -n "testca$i" -i "$ca" || fail "certutil -A $ca"
  done
}

# browse HOME URL OUT : one headless Chromium run (fresh profile OUT.profile, $HOME = HOME) that loads URL and writes
# the DOM after the load event to OUT (stderr to OUT.err), within B_TIMEOUT seconds (default 40).
# Returns Chromium's status (124 when it timed out).
browse() {
  local home=$1 url=$2 out=$3
  note "chromium (HOME=$(basename "$home")) $url"
  HOME="$home" timeout "${B_TIMEOUT:-40}" chromium "${CHROME_FLAGS[@]}" --user-data-dir="$out.profile" \
    --dump-dom "$url" >"$out" 2>"$out.err"
}

# dom_text FILE ID : the text of the element with that id in a dumped DOM.
dom_text() { sed -n "s|.*<[a-z0-9]* id=\"$2\">\([^<]*\)<.*|\1|p" "$1" | head -n 1; }

# bup_start : start browser_upstream.py on $UP_PORT (its files in $CG_TMP/bup).
bup_start() {
  UP_PORT=$(free_port)
  mkdir -p "$CG_TMP/bup"
  "$PY" "$BROWSER_UP_PY" --port "$UP_PORT" --dir "$CG_TMP/bup" >>"$CG_TMP/upstream.log" 2>&1 &
  _register_aux "$!"
  wait_port "$UP_PORT" 10 "$!" || { cat "$CG_TMP/upstream.log"; fail "browser upstream did not start"; }
}

ws_lines() { cat "$CG_TMP/bup/ws.log" 2>/dev/null | grep -c -- "$1"; }
_ws_ticks_past() { [ "$(ws_lines ' tick-')" -ge "$1" ]; }

case_page_load_trusted_through_nss() {
  browser_init
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  local url="https://alpha.test:$CG_PORT/page"
  # Without the test CA in the NSS database the page must not load (so the trust below is what counts).
  nss_home "$CG_TMP/untrusted"
  browse "$CG_TMP/untrusted" "$url" "$CG_TMP/untrusted.html" || true
  assert_not_contains "$(cat "$CG_TMP/untrusted.html")" "hello through certgate" "DOM with an NSS database that lacks the test CA"
  assert_contains "$(cat "$CG_TMP/untrusted.html.err")" "net::ERR_CERT_AUTHORITY_INVALID" "chromium's error without the test CA"
  nss_home "$CG_TMP/trusted" "$CG_PKI/ca.crt"
  browse "$CG_TMP/trusted" "$url" "$CG_TMP/page.html" || fail "chromium failed: $(tail -n 3 "$CG_TMP/page.html.err")"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/page.html" greeting)" "greeting in the DOM"
  assert_eq "[]" "$(dom_text "$CG_TMP/page.html" x-forwarded-for)" "X-Forwarded-For seen upstream (no --forward-headers)"
}

case_client_certificate_auto_selected() {
  browser_init
  [ -w /etc ] || skip "cannot write the managed policy under /etc/chromium/policies (not root)"
  MT="$CG_TMP/mt"
  mtls_pki "$MT" || fail "client PKI"
  cat "$MT/caA.crt" > "$MT/clientca.pem"
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --client-ca "$MT/clientca.pem" \
    --client-auth require --forward-headers
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
  local xfcc
  xfcc=$(dom_text "$CG_TMP/page.html" x-forwarded-client-cert)
  assert_contains "$xfcc" "CN=client-A" "X-Forwarded-Client-Cert seen upstream"
  assert_not_contains "$xfcc" "client-B" "X-Forwarded-Client-Cert seen upstream"
}

case_websocket_echo_forward_headers() {
  browser_init
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --forward-headers
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/ws.html" "$CG_TMP/ws.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/ws.html.err")"
  local dom; dom=$(cat "$CG_TMP/ws.html")
  assert_eq "hello-1" "$(dom_text "$CG_TMP/ws.html" echo)" "WebSocket echo written into the DOM"
  assert_eq "open" "$(dom_text "$CG_TMP/ws.html" state)" "WebSocket state at the load event"
  assert_eq "open;" "$(dom_text "$CG_TMP/ws.html" events)" "WebSocket events"
  # The upgrade request went through the forwarding rules: the upstream saw certgate's headers.
  local first; first=$(dom_text "$CG_TMP/ws.html" first | sed 's/&quot;/"/g')
  assert_contains "$first" '"X-Forwarded-For": ["127.0.0.1"]' "headers of the upgrade request seen upstream"
  assert_contains "$first" '"X-Forwarded-Proto": ["https"]' "headers of the upgrade request seen upstream"
  assert_eq 1 "$(ws_lines '^1 hello-1$')" "hello-1 received by the upstream on WebSocket connection 1"
  [ -n "$dom" ] || fail "empty DOM"
}

# --alpn h2,http/1.1 with --forward-headers: the page comes over HTTP/2 (terminated, forwarded as HTTP/1.1
# with certgate's X-Forwarded-* fields), the WebSocket (no RFC 8441 over HTTP/2) on an HTTP/1.1 connection.
case_page_and_websocket_over_http2() {
  browser_init
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --forward-headers --alpn h2,http/1.1 \
    --admin "127.0.0.1:$CG_ADMIN"
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/page" "$CG_TMP/page.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/page.html.err")"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/page.html" greeting)" "greeting in the DOM (h2)"
  assert_eq '["127.0.0.1"]' "$(dom_text "$CG_TMP/page.html" x-forwarded-for | sed 's/&quot;/"/g')" "X-Forwarded-For seen upstream"
  # (Chromium may open a spare connection next to the one it uses.)
  assert_ge "$(metric certgate_connections_by_protocol_total 'protocol="h2"')" 1 "h2 connections after the page"
  assert_eq 0 "$(metric certgate_connections_by_protocol_total 'protocol="http1"')" "HTTP/1.1 connections after the page"
  assert_ge "$(metric certgate_http2_requests_total 'result="forwarded"')" 1 "h2 requests forwarded"
  browse "$CG_TMP/home" "https://alpha.test:$CG_PORT/ws.html" "$CG_TMP/ws.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/ws.html.err")"
  assert_eq "hello-1" "$(dom_text "$CG_TMP/ws.html" echo)" "WebSocket echo written into the DOM"
  assert_ge "$(metric certgate_connections_by_protocol_total 'protocol="http1"')" 1 "HTTP/1.1 connections (the WebSocket)"
}

case_rotation_keeps_websocket() {
  browser_init
  bup_start
  local certs="$CG_TMP/certs" new="$CG_TMP/new"
  cert_install kube:kube:web "$certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$certs"
  # The rotated certificate comes from a second root, trusted only by the "after" browser: that browser can
  # load a page only once it is served the new certificate.
  mkdir -p "$new"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -keyout "$new/ca2.key" \
    -out "$new/ca2.crt" -subj "/CN=certgate-test-root-2" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "second root"
  pki_leaf "$new" kube2 cg-kube2 "DNS:kube.test" ec ca2 || fail "issuing the new certificate"
  local serial old; serial=$(cert_serial "$new/kube2.crt"); old=$(cert_serial "$CG_PKI/kube.crt")
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  nss_home "$CG_TMP/after" "$new/ca2.crt"
  # The long-lived page: its WebSocket sends a tick every 100 ms until /hold?key=rot is released.
  browse "$CG_TMP/home" "https://kube.test:$CG_PORT/ws.html?key=rot" "$CG_TMP/ws.html" &
  local bpid=$!
  _register_aux "$bpid"
  wait_for 20 _ws_ticks_past 3 || fail "the page's WebSocket never ticked: $(tail -n 3 "$CG_TMP/ws.html.err")"
  assert_eq "$old" "$(served_serial "$CG_PORT" kube.test)" "serial for kube.test before rotation"
  browse "$CG_TMP/after" "https://kube.test:$CG_PORT/page" "$CG_TMP/before.html" || true
  assert_not_contains "$(cat "$CG_TMP/before.html")" "hello through certgate" "DOM, second-root browser, before rotation"
  assert_contains "$(cat "$CG_TMP/before.html.err")" "net::ERR_CERT_AUTHORITY_INVALID" "chromium's error, second-root browser, before rotation"
  kube_rotate "$certs/web" "$new/kube2.crt" "$new/kube2.key"
  wait_serial 5 kube.test "$serial"
  local t; t=$(ws_lines ' tick-')
  wait_for 10 _ws_ticks_past $((t + 10)) || fail "the WebSocket stopped after the rotation (ticks stuck at $(ws_lines ' tick-'))"
  note "ok: WebSocket ticks $t at the rotation, $(ws_lines ' tick-') now"
  browse "$CG_TMP/after" "https://kube.test:$CG_PORT/page" "$CG_TMP/after.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/after.html.err")"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/after.html" greeting)" "greeting, second-root browser, after rotation"
  touch "$CG_TMP/bup/release-rot"
  wait "$bpid" || fail "the long-lived chromium failed: $(tail -n 3 "$CG_TMP/ws.html.err")"
  assert_eq "open" "$(dom_text "$CG_TMP/ws.html" state)" "WebSocket state at the end"
  assert_eq "open;" "$(dom_text "$CG_TMP/ws.html" events)" "WebSocket events (no error, no close)"
  assert_ge "$(dom_text "$CG_TMP/ws.html" ticks)" $((t + 10)) "ticks echoed back to the page"
  assert_eq 0 "$(grep -vc '^1 ' "$CG_TMP/bup/ws.log")" "upstream lines from any WebSocket connection but the first"
}

run_cases "$@"
