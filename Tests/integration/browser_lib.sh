#!/usr/bin/env bash
# Helpers of the real-browser tests (test_browser.sh): Chromium runs with an NSS database as $HOME, the
# browser_upstream.py upstream, the HTTP/1.1 and HTTP/2 variants of a case and their checks, certificate
# rotation with a second root. Sourced after lib.sh.

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

H2_ARGS=(--alpn h2,http/1.1)

# variant h1|h2 : sets ALPN (certgate's --alpn arguments) and PROTO (the nextHopProtocol Chromium must
# report) for the HTTP/1.1 (no --alpn) or the HTTP/2 (--alpn h2,http/1.1) run of a case.
variant() {
  case $1 in
    h1) ALPN=(); PROTO=http/1.1 ;;
    h2) ALPN=("${H2_ARGS[@]}"); PROTO=h2 ;;
    *) fail "variant $1" ;;
  esac
  note "variant $1: certgate ${ALPN[*]:-(no --alpn)}, pages expected over $PROTO"
}

# bcg_start ARGS... : certgate in front of browser_upstream.py, with an admin listener (metrics).
bcg_start() {
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --admin "127.0.0.1:$CG_ADMIN" "$@"
}

conns() { metric certgate_connections_by_protocol_total "protocol=\"$1\""; }
h2_requests() { metric certgate_http2_requests_total "result=\"$1\""; }

# assert_protocol FILE : the page dumped to FILE says it was loaded over $PROTO (its nextHopProtocol).
assert_protocol() { assert_eq "$PROTO" "$(dom_text "$1" protocol)" "protocol of $(basename "$1") (nextHopProtocol)"; }

# assert_conns H2 HTTP1 : certgate's completed handshakes by protocol (H2 may be "N+": at least N, as
# Chromium's loading predictor usually preconnects a second connection next to the navigation's own).
assert_conns() {
  if [[ $1 == *+ ]]; then assert_ge "$(conns h2)" "${1%+}" "h2 connections"; else assert_eq "$1" "$(conns h2)" "h2 connections"; fi
  assert_eq "$2" "$(conns http1)" "HTTP/1.1 connections"
}

unq() { sed 's/&quot;/"/g'; }

# rotation_setup [certgate args] : certgate serving kube.test from a kubelet-style secret dir ($CERTS/web)
# and, in $NEW, a certificate for kube.test (kube2.crt/.key) from a second root: the "after" browser
# ($CG_TMP/after) trusts only that root, so it can load a page only once certgate serves the new
# certificate; the "home" browser trusts the test root. Sets SERIAL (new) and OLD (current serial).
rotation_setup() {
  CERTS="$CG_TMP/certs" NEW="$CG_TMP/new"
  cert_install kube:kube:web "$CERTS"
  bcg_start --cert-dir "$CERTS" "$@"
  mkdir -p "$NEW"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -keyout "$NEW/ca2.key" \
    -out "$NEW/ca2.crt" -subj "/CN=certgate-test-root-2" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "second root"
  pki_leaf "$NEW" kube2 cg-kube2 "DNS:kube.test" ec ca2 || fail "issuing the new certificate"
  SERIAL=$(cert_serial "$NEW/kube2.crt"); OLD=$(cert_serial "$CG_PKI/kube.crt")
  nss_home "$CG_TMP/home" "$CG_PKI/ca.crt"
  nss_home "$CG_TMP/after" "$NEW/ca2.crt"
}

# rotate_after_refusal : the second-root browser cannot load a page before the rotation; the
# secret is rotated (..data swap) and the new serial served.
rotate_after_refusal() {
  assert_eq "$OLD" "$(served_serial "$CG_PORT" kube.test)" "serial for kube.test before rotation"
  browse "$CG_TMP/after" "https://kube.test:$CG_PORT/page" "$CG_TMP/before.html" || true
  assert_not_contains "$(cat "$CG_TMP/before.html")" "hello through certgate" "DOM, second-root browser, before rotation"
  assert_contains "$(cat "$CG_TMP/before.html.err")" "net::ERR_CERT_AUTHORITY_INVALID" "chromium's error, second-root browser, before rotation"
  kube_rotate "$CERTS/web" "$NEW/kube2.crt" "$NEW/kube2.key"
  wait_serial 5 kube.test "$SERIAL"
}

# after_browser_loads : the second-root browser loads a page (over $PROTO) after the rotation.
after_browser_loads() {
  browse "$CG_TMP/after" "https://kube.test:$CG_PORT/page" "$CG_TMP/after.html" \
    || fail "chromium failed: $(tail -n 3 "$CG_TMP/after.html.err")"
  assert_eq "hello through certgate" "$(dom_text "$CG_TMP/after.html" greeting)" "greeting, second-root browser, after rotation"
  assert_protocol "$CG_TMP/after.html"
}

# tick_lines : /tick requests the upstream answered so far (poll.html's fetches); _ticks_past N.
tick_lines() { wc -l 2>/dev/null < "$CG_TMP/bup/ticks.log" || echo 0; }
_ticks_past() { [ "$(tick_lines)" -ge "$1" ]; }

# alpha_setup h1|h2 [FLAG...] : the usual start of a case: Chromium, the variant, the upstream, and
# certgate serving alpha.test with the FLAGs and the variant's --alpn.
alpha_setup() {
  browser_init
  variant "$1"
  shift
  bup_start
  cert_install alpha:pem "$CG_TMP/certs"
  bcg_start --cert-dir "$CG_TMP/certs" "$@" "${ALPN[@]}"
}
