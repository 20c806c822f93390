# Helpers for the certgate integration suite. Sourced by Tests/integration/run and by every test_*.sh.
#
# A test file defines functions named case_* and ends with `run_cases "$@"`. The runner calls
# `bash test_x.sh --list` to enumerate cases and `bash test_x.sh CASE` to run one case in a fresh
# temporary directory ($CG_TMP). A case passes when it returns 0, is skipped with `skip REASON`
# (exit 77) and fails with `fail MESSAGE` (or any non-zero return).
#
# Everything binds to and talks to 127.0.0.1 only.

set -u

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IT_DIR/../.." && pwd)
PY=${PYTHON:-python3}
UPSTREAM_PY="$IT_DIR/upstream.py"
CLIENT_PY="$IT_DIR/client.py"

# The binary under test. The runner resolves the default; a test file run by hand falls back to the debug build.
CG_BIN=${CERTGATE_BIN:-$REPO_ROOT/.build/debug/certgate}

# Shared PKI (generated once per suite run by the runner); a case run by hand generates its own.
CG_PKI=${CG_PKI:-}

CG_PIDS=()        # certgate processes started by this case (checked and stopped at the end)
AUX_PIDS=()       # helper processes (upstreams, s_server, clients) killed at the end
CG_LOG=""         # log file of the most recently started certgate
CG_PID=""
CG_PORT=""
CG_ADMIN=""
UP_PORT=""
CG_SEQ=0
UP_MODE=""

# ---------------------------------------------------------------------------------------------------
# Output and assertions

note() { echo "# $*"; }

_dump_cg_logs() {
  local f
  for f in "${CG_TMP:-/nonexistent}"/certgate-*.log; do
    [ -f "$f" ] || continue
    echo "---- tail of $(basename "$f")"
    tail -n 15 "$f"
  done
}

fail() {
  echo "FAIL: $*"
  _dump_cg_logs
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
  if [ "$1" != "$2" ]; then
    fail "$3: expected [$1], got [$2]"
  fi
  note "ok: $3 = [$2]"
}

# assert_ne UNEXPECTED ACTUAL WHAT
assert_ne() {
  if [ "$1" = "$2" ]; then
    fail "$3: expected anything but [$1], got it"
  fi
  note "ok: $3 = [$2] (not [$1])"
}

# assert_match TEXT ERE WHAT  (grep -E, case-sensitive)
assert_match() {
  if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then
    fail "$3: expected to match /$2/, got [$1]"
  fi
  note "ok: $3 matches /$2/"
}

# assert_imatch TEXT ERE WHAT  (case-insensitive)
assert_imatch() {
  if ! printf '%s\n' "$1" | grep -Eiq -- "$2"; then
    fail "$3: expected to match /$2/i, got [$1]"
  fi
  note "ok: $3 matches /$2/i"
}

# assert_contains TEXT FIXED WHAT  (fixed string, case-sensitive)
assert_contains() {
  if ! printf '%s\n' "$1" | grep -Fq -- "$2"; then
    fail "$3: expected to contain [$2], got [$1]"
  fi
  note "ok: $3 contains [$2]"
}

assert_not_contains() {
  if printf '%s\n' "$1" | grep -Fq -- "$2"; then
    fail "$3: expected not to contain [$2], got [$1]"
  fi
  note "ok: $3 does not contain [$2]"
}

# assert_le A B WHAT (integers)
assert_le() {
  if [ "$1" -gt "$2" ]; then
    fail "$3: expected <= $2, got $1"
  fi
  note "ok: $3 = $1 (<= $2)"
}

# wait_for SECONDS CMD... : poll CMD every 50 ms until it succeeds; returns 1 on timeout.
wait_for() {
  local secs=$1; shift
  local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------------------------------------------
# Ports

free_port() {
  "$PY" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_closed() { ! port_open "$1"; }

# wait_port PORT [SECONDS] [PID]: wait until PORT accepts; fails early if PID dies.
wait_port() {
  local port=$1 secs=${2:-15} pid=${3:-}
  local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  while :; do
    port_open "$port" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 2; fi
    [ "$(date +%s%N)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# ---------------------------------------------------------------------------------------------------
# PKI (openssl CLI). Layout of $CG_PKI: ca.crt/ca.key (root), int.crt/int.key (intermediate),
# NAME.crt / NAME.key for each leaf, NAME.chain (intermediates to append; empty for root-issued leaves).

_pki_ext_ca() { printf 'basicConstraints=critical,CA:TRUE%s\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$1"; }

# pki_leaf DIR NAME CN SANS ALG ISSUER : SANS like "DNS:a.test,DNS:*.b.test" or "" for a CN-only certificate; ALG ec|rsa.
pki_leaf() {
  local d=$1 name=$2 cn=$3 sans=$4 alg=${5:-ec} issuer=${6:-ca}
  local kopt=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
  [ "$alg" = rsa ] && kopt=(-newkey rsa:2048)
  openssl req -new "${kopt[@]}" -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$cn" 2>/dev/null || return 1
  {
    [ -n "$sans" ] && echo "subjectAltName=$sans"
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth"
    echo "authorityKeyIdentifier=keyid"
  } > "$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/$issuer.crt" -CAkey "$d/$issuer.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null || return 1
  if [ "$issuer" = ca ]; then : > "$d/$name.chain"; else cat "$d/$issuer.crt" > "$d/$name.chain"; fi
  rm -f "$d/$name.csr" "$d/$name.ext"
}

_pki_build() {
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=certgate-test-root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/int.key" \
    -out "$d/int.csr" -subj "/CN=certgate-test-intermediate" 2>/dev/null || return 1
  _pki_ext_ca ",pathlen:0" > "$d/int.ext"
  openssl x509 -req -in "$d/int.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 90 -extfile "$d/int.ext" -out "$d/int.crt" 2>/dev/null || return 1
  rm -f "$d/int.csr" "$d/int.ext"
  #         dir name     CN                   SANs                                                     alg issuer
  pki_leaf "$d" alpha    cg-alpha             "DNS:alpha.test"                                            ec  ca  || return 1
  pki_leaf "$d" exact    cg-exact             "DNS:exact.example.com"                                     ec  ca  || return 1
  pki_leaf "$d" wild     cg-wild              "DNS:*.example.com"                                         ec  ca  || return 1
  pki_leaf "$d" cnonly   cnonly.example.com   ""                                                          ec  ca  || return 1
  pki_leaf "$d" zulu     cg-zulu              "DNS:zulu.test"                                             rsa ca  || return 1
  pki_leaf "$d" multi    cg-multi             "DNS:a.multi.test,DNS:b.multi.test,DNS:*.w.multi.test"      ec  ca  || return 1
  pki_leaf "$d" chained  cg-chained           "DNS:chained.test"                                          ec  int || return 1
  pki_leaf "$d" other    cg-other             "DNS:other.test"                                            ec  ca  || return 1
  pki_leaf "$d" hidden   cg-hidden            "DNS:hidden.test"                                           ec  ca  || return 1
  pki_leaf "$d" kube     cg-kube              "DNS:kube.test"                                             ec  ca  || return 1
  pki_leaf "$d" kubersa  cg-kubersa           "DNS:kubersa.test"                                          rsa ca  || return 1
  pki_leaf "$d" crtkey   cg-crtkey            "DNS:crtkey.test"                                           ec  ca  || return 1
  pki_leaf "$d" flag     cg-flag              "DNS:flag.test"                                             ec  ca  || return 1
  pki_leaf "$d" flagtwo  cg-flagtwo           "DNS:flagtwo.test"                                          ec  ca  || return 1
  pki_leaf "$d" mixed    cg-mixed             "DNS:MiXeD.CaSe.TeSt,DNS:*.WiLd.CaSe.TeSt"                  ec  ca  || return 1
  # Traditional key encodings as written by other tools (cert-manager writes PKCS#1 RSA keys).
  openssl pkey -in "$d/kubersa.key" -traditional -out "$d/kubersa.pkcs1.key" 2>/dev/null || return 1
  openssl pkey -in "$d/crtkey.key" -traditional -out "$d/crtkey.sec1.key" 2>/dev/null || return 1
}

# pki_init [DIR]: build the shared PKI once (safe to call concurrently).
pki_init() {
  local d=${1:-$CG_PKI}
  [ -f "$d/.done" ] && return 0
  mkdir -p "$d"
  (
    flock 9
    [ -f "$d/.done" ] && exit 0
    _pki_build "$d" || exit 1
    touch "$d/.done"
  ) 9>"$d/.lock"
}

# cert_install SPEC DESTDIR ... where SPEC is LEAF:FORM[:NAME]
#   pem      DESTDIR/NAME.pem = cert + chain + key
#   keyfirst DESTDIR/NAME.pem = key + cert + chain
#   crtkey   DESTDIR/NAME.crt (cert + chain) and DESTDIR/NAME.key
#   kube     DESTDIR/NAME/ laid out exactly like a kubelet secret volume:
#              ..2026_11_23_10_00_00.123456789/{tls.crt,tls.key,ca.crt}, ..data -> that dir,
#              tls.crt -> ..data/tls.crt, tls.key -> ..data/tls.key, ca.crt -> ..data/ca.crt
cert_install() {
  local dest=${!#} spec leaf form name
  mkdir -p "$dest"
  for spec in "${@:1:$#-1}"; do
    IFS=: read -r leaf form name <<<"$spec"
    name=${name:-$leaf}
    local p="$CG_PKI"
    case "$form" in
      pem) cat "$p/$leaf.crt" "$p/$leaf.chain" "$p/$leaf.key" > "$dest/$name.pem" ;;
      keyfirst) cat "$p/$leaf.key" "$p/$leaf.crt" "$p/$leaf.chain" > "$dest/$name.pem" ;;
      crtkey) cat "$p/$leaf.crt" "$p/$leaf.chain" > "$dest/$name.crt"; cp "$p/$leaf.key" "$dest/$name.key" ;;
      kube) kube_secret_dir "$dest/$name" "$p/$leaf.crt" "$p/$leaf.key" ;;
      *) fail "cert_install: unknown form $form" ;;
    esac
  done
}

# kube_secret_dir DIR CERTFILE KEYFILE [noca] : the layout kubelet's AtomicWriter produces for a TLS
# secret (with the ca.crt key cert-manager adds, unless "noca").
kube_secret_dir() {
  local dir=$1 crt=$2 key=$3 ca=${4:-ca} ts="..2026_11_23_10_00_00.123456789" k
  local keys=(tls.crt tls.key)
  [ "$ca" = noca ] || keys+=(ca.crt)
  mkdir -p "$dir/$ts"
  cp "$crt" "$dir/$ts/tls.crt"
  cp "$key" "$dir/$ts/tls.key"
  [ "$ca" = noca ] || cp "$CG_PKI/ca.crt" "$dir/$ts/ca.crt"
  ln -s "$ts" "$dir/..data"
  for k in "${keys[@]}"; do
    chmod 0644 "$dir/$ts/$k"
    ln -s "..data/$k" "$dir/$k"
  done
}

# cert_cn CERTFILE ; cert_not_after_iso CERTFILE
cert_cn() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p'; }
cert_not_after_iso() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }

# ---------------------------------------------------------------------------------------------------
# Processes

_register_aux() { AUX_PIDS+=("$1"); }

# up_start MODE [extra upstream.py args] : start the test upstream on $UP_PORT (picked if empty).
up_start() {
  local mode=$1; shift
  [ -n "$UP_PORT" ] || UP_PORT=$(free_port)
  mkdir -p "$CG_TMP/rec"
  "$PY" "$UPSTREAM_PY" "$mode" --port "$UP_PORT" --record "$CG_TMP/rec" "$@" >>"$CG_TMP/upstream.log" 2>&1 &
  local pid=$!
  UP_MODE=$mode
  _register_aux "$pid"
  wait_port "$UP_PORT" 10 "$pid" || { cat "$CG_TMP/upstream.log"; fail "upstream ($mode) did not start on $UP_PORT"; }
}

# cg_start ARGS... : start `certgate run --listen 127.0.0.1:$CG_PORT ARGS...` and wait for the port
# (and for the admin port when CG_ADMIN is set).
cg_start() {
  [ -n "$CG_PORT" ] || CG_PORT=$(free_port)
  cg_launch run --listen "127.0.0.1:$CG_PORT" "$@"
}

# cg_launch ARGS... : start `certgate ARGS...` exactly as given; wait for $CG_PORT (and $CG_ADMIN if set).
cg_launch() {
  [ -x "$CG_BIN" ] || fail "certgate binary not found or not executable: $CG_BIN"
  [ -n "$CG_PORT" ] || fail "cg_launch: CG_PORT is not set"
  CG_SEQ=$((CG_SEQ + 1))
  CG_LOG="$CG_TMP/certgate-$CG_SEQ.log"
  note "start: certgate $*"
  "$CG_BIN" "$@" >"$CG_LOG" 2>&1 &
  CG_PID=$!
  CG_PIDS+=("$CG_PID")
  local rc=0
  wait_port "$CG_PORT" 20 "$CG_PID" || rc=$?
  if [ $rc -eq 0 ] && [ -n "$CG_ADMIN" ]; then wait_port "$CG_ADMIN" 20 "$CG_PID" || rc=$?; fi
  if [ $rc -ne 0 ]; then
    if ! kill -0 "$CG_PID" 2>/dev/null; then
      wait "$CG_PID"; rc=$?
      _cg_forget "$CG_PID"
      fail "certgate exited with status $rc during start-up"
    fi
    fail "certgate did not accept on 127.0.0.1:$CG_PORT${CG_ADMIN:+ / admin $CG_ADMIN} within 20 s"
  fi
}

# Pick an admin port and print the flag pair (call before cg_start): cg_start $(cg_admin_args) ...
cg_admin_args() { echo "--admin 127.0.0.1:$CG_ADMIN"; }
admin_init() { CG_ADMIN=$(free_port); }

_cg_forget() {
  local p keep=()
  for p in "${CG_PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  CG_PIDS=("${keep[@]}")
}

cg_alive() { ! _pid_gone "${1:-$CG_PID}"; }

assert_cg_alive() {
  cg_alive "$CG_PID" || { local rc=0; wait "$CG_PID" || rc=$?; _cg_forget "$CG_PID"; fail "certgate is not running any more (exit status $rc)${1:+ after $1}"; }
  note "ok: certgate (pid $CG_PID) alive${1:+ after $1}"
}

# cg_signal_wait PID SIGNAL SECONDS : send SIGNAL and wait up to SECONDS for the exit (must not run in a
# subshell: only this shell can collect the status). Sets SIG_STATUS (exit status, or "timeout") and SIG_MS.
cg_signal_wait() {
  local pid=$1 sig=$2 secs=$3 t0
  t0=$(now_ms)
  SIG_STATUS=timeout; SIG_MS=0
  kill -s "$sig" "$pid" 2>/dev/null || { SIG_STATUS=gone; return; }
  if wait_for "$secs" _pid_gone "$pid"; then
    SIG_MS=$(( $(now_ms) - t0 ))
    SIG_STATUS=0
    wait "$pid" || SIG_STATUS=$?
  fi
}
_pid_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

# cg_stop [PID]: SIGTERM, expect exit status 0 within 5 s.
cg_stop() {
  local pid=${1:-$CG_PID}
  cg_alive "$pid" || { local rc=0; wait "$pid" || rc=$?; _cg_forget "$pid"; fail "certgate (pid $pid) died before it was stopped (exit status $rc)"; }
  cg_signal_wait "$pid" TERM 5
  _cg_forget "$pid"
  case "$SIG_STATUS" in
    timeout) kill -9 "$pid" 2>/dev/null; fail "certgate (pid $pid) did not exit within 5 s of SIGTERM" ;;
    0) note "ok: certgate (pid $pid) exited 0 on SIGTERM after $SIG_MS ms" ;;
    *) fail "certgate (pid $pid) exit status on SIGTERM: expected 0, got $SIG_STATUS" ;;
  esac
}

_cleanup() {
  local p
  for p in "${AUX_PIDS[@]}" "${CG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${AUX_PIDS[@]}" "${CG_PIDS[@]}"; do
    wait_for 2 _pid_gone "$p" || kill -9 "$p" 2>/dev/null
  done
}

# ---------------------------------------------------------------------------------------------------
# Clients

# served_cn PORT SNI : CN of the certificate the proxy presents for SNI (empty SNI = send none).
served_cn() {
  local port=$1 sni=$2 opt
  if [ -n "$sni" ]; then opt=(-servername "$sni"); else opt=(-noservername); fi
  timeout 10 openssl s_client -connect "127.0.0.1:$port" "${opt[@]}" </dev/null 2>/dev/null \
    | openssl x509 -noout -subject -nameopt RFC2253 2>/dev/null | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p'
}

# served_serial PORT SNI : serial number (hex) of the certificate presented for SNI; cert_serial FILE likewise.
served_serial() {
  local port=$1 sni=$2 opt
  if [ -n "$sni" ]; then opt=(-servername "$sni"); else opt=(-noservername); fi
  timeout 10 openssl s_client -connect "127.0.0.1:$port" "${opt[@]}" </dev/null 2>/dev/null \
    | openssl x509 -noout -serial 2>/dev/null | sed -n 's/^serial=//p'
}
cert_serial() { openssl x509 -in "$1" -noout -serial | sed -n 's/^serial=//p'; }

# assert_served SNI EXPECTED_CN [PORT]
assert_served() {
  local got
  got=$(served_cn "${3:-$CG_PORT}" "$1")
  assert_eq "$2" "$got" "certificate served for SNI '${1:-<none>}'"
}

# https NAME PATH [curl args...] : GET https://NAME:$CG_PORT/PATH verified against the test CA, resolved to 127.0.0.1.
https() {
  local name=$1 path=$2; shift 2
  curl -sS --max-time 30 --cacert "$CG_PKI/ca.crt" --resolve "$name:$CG_PORT:127.0.0.1" "$@" "https://$name:$CG_PORT$path"
}

# assert_hello NAME : a request through the proxy reaches the upstream and the answer comes back
# (with the raw upstream: 1 MiB echoed).
assert_hello() {
  local out
  if [ "$UP_MODE" = raw ]; then
    "$PY" "$CLIENT_PY" echo --port "$CG_PORT" --sni "${1:-alpha.test}" --ca "$CG_PKI/ca.crt" --mib 1 --id "hello$RANDOM" >"$CG_TMP/echo.out" 2>&1 \
      || fail "1 MiB echo via ${1:-alpha.test}: $(tail -n 3 "$CG_TMP/echo.out")"
    note "ok: 1 MiB echoed via ${1:-alpha.test}"
    return 0
  fi
  out=$(https "${1:-alpha.test}" /hello 2>&1)
  assert_eq "hello from upstream" "$out" "GET /hello via ${1:-alpha.test}"
}

# tls_try OUTFILE s_client-args... : one handshake with s_client -brief; returns s_client's status.
tls_try() {
  local out=$1; shift
  timeout 10 openssl s_client -brief "$@" </dev/null >"$out" 2>&1
}

# ---------------------------------------------------------------------------------------------------
# Admin / metrics

# With CG_ADMIN_TOKEN set (--admin-token-file cases), admin_get and admin_status send it as a bearer token.
admin_get() { curl -sS --max-time 10 ${CG_ADMIN_TOKEN:+-H "Authorization: Bearer $CG_ADMIN_TOKEN"} "http://127.0.0.1:$CG_ADMIN$1"; }
admin_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 ${CG_ADMIN_TOKEN:+-H "Authorization: Bearer $CG_ADMIN_TOKEN"} "http://127.0.0.1:$CG_ADMIN$1"; }

# metric NAME [LABEL_SUBSTRING] : sum of the samples of NAME whose label set contains LABEL_SUBSTRING.
metric() {
  admin_get /metrics | awk -v n="$1" -v l="${2:-}" '
    /^#/ { next }
    { name = $1; sub(/\{.*/, "", name) }
    name == n && index($0, l) > 0 { s += $NF; found = 1 }
    END { if (found) printf "%d\n", s; else print "absent" }'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }

# ---------------------------------------------------------------------------------------------------
# Case driver

run_cases() {
  local self=$0
  if [ "${1:-}" = "--list" ]; then
    grep -oE '^case_[A-Za-z0-9_]+\(\)' "$self" | sed 's/()$//'
    return 0
  fi
  if [ $# -eq 0 ]; then
    exec "$IT_DIR/run" "$(basename "$self")"
  fi
  local c=$1
  declare -F "$c" >/dev/null || { echo "no such case: $c"; exit 2; }
  if [ -z "${CG_TMP:-}" ]; then CG_TMP=$(mktemp -d /tmp/cgit.XXXXXX); note "temp dir $CG_TMP"; fi
  if [ -z "$CG_PKI" ]; then CG_PKI="$CG_TMP/pki"; fi
  export CG_TMP CG_PKI
  pki_init "$CG_PKI" || fail "PKI generation failed"
  cd "$CG_TMP" || exit 2
  trap _cleanup EXIT
  trap 'echo "interrupted"; exit 1' TERM INT
  "$c"
  local rc=$?
  [ $rc -ne 0 ] && fail "$c returned $rc"
  # Every certgate still running must have survived the case and must stop cleanly.
  local p
  for p in "${CG_PIDS[@]}"; do
    CG_PID=$p
    assert_cg_alive "the case"
    cg_stop "$p"
  done
  exit 0
}

# ---------------------------------------------------------------------------------------------------
# Common set-ups

# std_certs DIR : the SNI test set, created in reverse name order (so directory order is not name order):
#   zulu.pem (RSA, zulu.test)  wild.crt+wild.key (*.example.com)  exact.pem (exact.example.com)
#   cnonly.pem (CN=cnonly.example.com, no SAN)  alpha.pem (alpha.test; first by name = default)
std_certs() { cert_install zulu:pem wild:crtkey exact:pem cnonly:pem alpha:pem "$1"; }

# std_start [extra certgate args] : HTTP upstream + std_certs + certgate (with admin when CG_ADMIN is set).
std_start() {
  up_start http
  std_certs "$CG_TMP/certs"
  local admin=()
  [ -n "$CG_ADMIN" ] && admin=(--admin "127.0.0.1:$CG_ADMIN")
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" "${admin[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------------
# Certificate reload (test_reload_*.sh)

# assert_ge A B WHAT (integers)
assert_ge() {
  [[ "$1" =~ ^-?[0-9]+$ ]] || fail "$3: expected a number >= $2, got [$1]"
  if [ "$1" -lt "$2" ]; then
    fail "$3: expected >= $2, got $1"
  fi
  note "ok: $3 = $1 (>= $2)"
}

# leaf_new NAME SANS [ALG] : a fresh leaf (new key, new random serial, CN cg-NAME) issued by the test root:
# $CG_TMP/new/NAME.crt, NAME.key and NAME.pem (certificate + key).
leaf_new() {
  local d="$CG_TMP/new" name=$1 sans=$2 alg=${3:-ec}
  mkdir -p "$d"
  [ -f "$d/ca.crt" ] || cp "$CG_PKI/ca.crt" "$CG_PKI/ca.key" "$d/"
  pki_leaf "$d" "$name" "cg-$name" "$sans" "$alg" ca || fail "issuing certificate $name"
  cat "$d/$name.crt" "$d/$name.key" > "$d/$name.pem"
}

# leaf_dated NAME SANS START END : like leaf_new, with an explicit validity period (openssl ca; dates as
# YYYYMMDDHHMMSSZ), for expired and not-yet-valid certificates.
leaf_dated() {
  local d="$CG_TMP/new" name=$1 sans=$2 start=$3 end=$4
  local db="$CG_TMP/new/$name.cadb"
  mkdir -p "$db"
  [ -f "$d/ca.crt" ] || cp "$CG_PKI/ca.crt" "$CG_PKI/ca.key" "$d/"
  : > "$db/index.txt"
  openssl rand -hex 8 | tr a-f A-F > "$db/serial"
  cat > "$db/ca.cnf" <<CNF
[ca]
default_ca = cg
[cg]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[leaf]
subjectAltName = $sans
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
CNF
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$name.key" \
    -out "$db/req.csr" -subj "/CN=cg-$name" 2>/dev/null || fail "request for $name"
  openssl ca -batch -notext -config "$db/ca.cnf" -cert "$d/ca.crt" -keyfile "$d/ca.key" -in "$db/req.csr" \
    -out "$d/$name.crt" -startdate "$start" -enddate "$end" -extensions leaf >"$db/ca.out" 2>&1 \
    || fail "openssl ca for $name: $(tail -n 3 "$db/ca.out")"
  cat "$d/$name.crt" "$d/$name.key" > "$d/$name.pem"
}

# cert_not_after_epoch CERTFILE
cert_not_after_epoch() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }

# replace_atomic SRC DEST : the safe rotation: copy to a dot file in DEST's directory, rename it over DEST.
replace_atomic() {
  local tmp; tmp="$(dirname "$2")/.$(basename "$2").tmp.$$"
  cp "$1" "$tmp" && mv -f "$tmp" "$2"
}

# kube_rotate DIR CERTFILE KEYFILE : rotate a secret directory made by kube_secret_dir the way kubelet's
# AtomicWriter does: write a new timestamped directory, point ..data_tmp at it, rename ..data_tmp over
# ..data (atomic), delete the old timestamped directory. Sets KUBE_OLD_TS to the deleted directory.
kube_rotate() {
  local dir=$1 crt=$2 key=$3 old ts
  old=$(readlink "$dir/..data") || fail "kube_rotate: $dir/..data is not a symlink"
  ts="..$(date -u +%Y_%m_%d_%H_%M_%S).$(date +%N)"
  mkdir "$dir/$ts"
  cp "$crt" "$dir/$ts/tls.crt"
  cp "$key" "$dir/$ts/tls.key"
  [ -f "$dir/$old/ca.crt" ] && cp "$dir/$old/ca.crt" "$dir/$ts/ca.crt"
  chmod 0644 "$dir/$ts"/*
  ln -s "$ts" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  rm -rf "${dir:?}/$old"
  # shellcheck disable=SC2034  # read by the test files
  KUBE_OLD_TS="$dir/$old"
}

_serial_is() { [ "$(served_serial "${3:-$CG_PORT}" "$1")" = "$2" ]; }

# wait_serial SECONDS SNI SERIAL : poll (never a fixed sleep) until the certificate served for SNI has
# SERIAL; fails with what was served instead. Notes how long it took.
wait_serial() {
  local secs=$1 sni=$2 want=$3 t0
  t0=$(now_ms)
  if wait_for "$secs" _serial_is "$sni" "$want"; then
    note "ok: serial for SNI '$sni' = [$want] after $(( $(now_ms) - t0 )) ms (bound $secs s)"
    return 0
  fi
  fail "serial for SNI '$sni' within $secs s: expected [$want], still served [$(served_serial "$CG_PORT" "$sni")]"
}

# assert_serial_stays SECONDS SNI SERIAL : for SECONDS, every check sees SERIAL served for SNI.
assert_serial_stays() {
  local secs=$1 sni=$2 want=$3 got n=0
  local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    got=$(served_serial "$CG_PORT" "$sni")
    [ "$got" = "$want" ] || fail "serial for SNI '$sni' changed: expected [$want] for $secs s, got [$got] (check $((n + 1)))"
    n=$((n + 1))
    sleep 0.1
  done
  note "ok: serial for SNI '$sni' stayed [$want] for $secs s ($n checks)"
}

# metric_raw NAME : the sample value of the unlabelled metric NAME exactly as exposed ("absent" if none).
metric_raw() { admin_get /metrics | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "absent" }'; }

# metric_ge NAME LABEL_SUBSTRING MIN : the metric exists and is at least MIN.
metric_ge() { local v; v=$(metric "$1" "$2"); [ "$v" != absent ] && [ "$v" -ge "$3" ]; }

# reloads TRIGGER RESULT : certgate_cert_reloads_total{trigger=TRIGGER,result=RESULT}
reloads() { metric certgate_cert_reloads_total "trigger=\"$1\",result=\"$2\""; }

# log_errors FIXED : number of error-level lines of $CG_LOG containing FIXED ("" = every error line).
log_errors() { grep -E '^[^ ]+ (error|critical) ' "$CG_LOG" | grep -cF -- "$1"; }

# log_count FIXED : number of lines of $CG_LOG containing FIXED.
log_count() { grep -cF -- "$1" "$CG_LOG"; }

# Keep-alive connections (keepalive.py): each is ONE TLS connection through the proxy sending GET /hello
# every 50 ms; they all stop when $CG_TMP/ka.stop appears.
declare -gA KA_PIDS=()

# ka_start ID [SNI] : open keep-alive connection ID and wait for its first answer. With KA_CERT and KA_KEY
# set, the connection presents that client certificate.
ka_start() {
  local id=$1 sni=${2:-alpha.test} client=()
  [ -n "${KA_CERT:-}" ] && client=(--cert "$KA_CERT" --key "$KA_KEY")
  rm -f "$CG_TMP/ka.stop"
  "$PY" "$IT_DIR/keepalive.py" --port "$CG_PORT" --sni "$sni" --ca "$CG_PKI/ca.crt" --stopfile "$CG_TMP/ka.stop" "${client[@]}" \
    --ready "$CG_TMP/ka-$id.ready" --progress "$CG_TMP/ka-$id.count" >"$CG_TMP/ka-$id.out" 2>&1 &
  KA_PIDS[$id]=$!
  _register_aux "$!"
  wait_for 10 test -f "$CG_TMP/ka-$id.ready" || fail "keep-alive connection $id never got its first answer: $(cat "$CG_TMP/ka-$id.out")"
}

# crl_make OUT CA_CRT CA_KEY [CERT...] : OUT becomes a PEM CRL issued by that CA revoking the CERTs
# (`openssl ca -revoke` then `-gencrl`, valid from an hour ago for 7 days; override the window with
# CRL_LAST/CRL_NEXT as YYYYMMDDHHMMSSZ). The CA's keyUsage must include cRLSign.
crl_make() {
  local out=$1 cacrt=$2 cakey=$3 d c; shift 3
  d=$(mktemp -d "$CG_TMP/crl.XXXXXX")
  : > "$d/index"; echo 01 > "$d/number"
  printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' "$d/index" "$d/number" > "$d/cnf"
  for c in "$@"; do
    openssl ca -config "$d/cnf" -cert "$cacrt" -keyfile "$cakey" -revoke "$c" 2>/dev/null || return 1
  done
  openssl ca -gencrl -config "$d/cnf" -cert "$cacrt" -keyfile "$cakey" \
    -crl_lastupdate "${CRL_LAST:-$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)}" \
    -crl_nextupdate "${CRL_NEXT:-$(date -u -d '+7 days' +%Y%m%d%H%M%SZ)}" -out "$out" 2>/dev/null || return 1
  rm -rf "$d"
}

ka_count() { cat "$CG_TMP/ka-$1.count" 2>/dev/null || echo 0; }
_ka_past() { [ "$(ka_count "$1")" -ge "$2" ]; }

# ka_still_works ID WHAT : the keep-alive connection ID answers at least 3 more requests from now on.
ka_still_works() {
  local id=$1 c0
  c0=$(ka_count "$id")
  wait_for 10 _ka_past "$id" $((c0 + 3)) \
    || fail "keep-alive connection $id stopped answering after $2 (count stuck at $(ka_count "$id")): $(cat "$CG_TMP/ka-$id.out")"
  note "ok: keep-alive connection $id still answering after $2 ($(ka_count "$id") requests on one connection)"
}

# ka_stop_all : stop every keep-alive connection; each must end without a failure.
ka_stop_all() {
  local id rc
  touch "$CG_TMP/ka.stop"
  for id in "${!KA_PIDS[@]}"; do
    rc=0; wait "${KA_PIDS[$id]}" || rc=$?
    [ $rc -eq 0 ] || fail "keep-alive connection $id failed (status $rc): $(cat "$CG_TMP/ka-$id.out")"
    assert_match "$(cat "$CG_TMP/ka-$id.out")" 'failures=0' "keep-alive connection $id"
  done
  KA_PIDS=()
}

# ---------------------------------------------------------------------------------------------------
# Observability (test_observability.sh, test_token.sh, test_drain.sh)

# admin_req METHOD PATH [TOKEN] [EXTRA_HEADER] : one admin request; prints the status code. The body goes to
# $CG_TMP/admin.body, the response headers (CR stripped) to $CG_TMP/admin.head. TOKEN "" sends no
# Authorization header; EXTRA_HEADER replaces the Authorization header built from TOKEN when given.
admin_req() {
  local method=$1 path=$2 token=${3:-} hdr=${4:-} h=()
  if [ -n "$hdr" ]; then h=(-H "$hdr"); elif [ -n "$token" ]; then h=(-H "Authorization: Bearer $token"); fi
  curl -s --max-time 10 -X "$method" "${h[@]}" -D "$CG_TMP/admin.head.raw" -o "$CG_TMP/admin.body" -w '%{http_code}' \
    "http://127.0.0.1:$CG_ADMIN$path"
  tr -d '\r' < "$CG_TMP/admin.head.raw" > "$CG_TMP/admin.head" 2>/dev/null
}
_admin_req_is() { [ "$(admin_req "$1" "$2" "${4:-}")" = "$3" ]; }

# snap NAME [TOKEN] : every sample of the metric NAME (exact name) as "SERIES VALUE" lines, sorted
# (TOKEN defaults to $CG_ADMIN_TOKEN).
snap() {
  local h=() tok=${2:-${CG_ADMIN_TOKEN:-}}
  [ -n "$tok" ] && h=(-H "Authorization: Bearer $tok")
  curl -sS --max-time 10 "${h[@]}" "http://127.0.0.1:$CG_ADMIN/metrics" \
    | awk -v n="$1" '!/^#/ && NF { s = $1; sub(/\{.*/, "", s); if (s == n) print }' | sort
}

# _moved_report NAME BEFORE_FILE [SUBSTRING@DELTA]... : compares the samples of NAME now with BEFORE_FILE
# (written by snap). A series whose text contains SUBSTRING (first spec that matches) must have moved by
# exactly DELTA, every other series by 0. Prints one line per series that did not; nothing when all did.
_moved_report() {
  local name=$1 before=$2; shift 2
  snap "$name" | awk -v specs="$*" -v bf="$before" '
    function key(l) { sub(/ [^ ]+$/, "", l); return l }
    function val(l,   a, n) { n = split(l, a, " "); return a[n] + 0 }
    BEGIN {
      ns = split(specs, sp, " ")
      while ((getline l < bf) > 0) { b[key(l)] = val(l); inb[key(l)] = 1 }
    }
    {
      k = key($0); v = val($0); seen[k] = 1
      want = 0
      for (i = 1; i <= ns; i++) {
        at = match(sp[i], /@[^@]*$/)
        if (index(k, substr(sp[i], 1, at - 1)) > 0) { want = substr(sp[i], at + 1) + 0; break }
      }
      if (v - b[k] != want) printf "%s: %s -> %s (moved by %s, expected %s)\n", k, b[k] + 0, v, v - b[k], want
    }
    END { for (k in inb) if (!(k in seen)) printf "%s: gone (was %s)\n", k, b[k] }'
}
_moved_ok() { [ -z "$(_moved_report "$@")" ]; }

# assert_moved NAME BEFORE_FILE [SUBSTRING@DELTA]... : waits up to 5 s for the samples of NAME to have moved
# exactly as described (see _moved_report; every series not named must stay put), else fails with the
# series that did not.
assert_moved() {
  local name=$1 before=$2; shift 2
  wait_for 5 _moved_ok "$name" "$before" "$@" || true
  local r; r=$(_moved_report "$name" "$before" "$@")
  [ -z "$r" ] || fail "$name did not move as expected (${*:-nothing should move}):"$'\n'"$r"
  note "ok: $name moved exactly by ${*:-nothing}"
}

# ---------------------------------------------------------------------------------------------------
# Client certificates (test_client_ca.sh, test_config_reload.sh); $MT is the client PKI directory.

# mtls_pki DIR : CAs A, B, C (allowed to sign CRLs) and one client certificate from each (clA.crt/.key ...),
# plus a second client of A (clA2).
mtls_pki() {
  local d=$1 c
  mkdir -p "$d"
  for c in A B C; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -keyout "$d/ca$c.key" \
      -out "$d/ca$c.crt" -subj "/CN=client-ca-$c" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl$c.key" \
      -out "$d/cl$c.csr" -subj "/CN=client-$c" 2>/dev/null || return 1
    printf 'extendedKeyUsage=clientAuth\n' > "$d/ext"
    openssl x509 -req -in "$d/cl$c.csr" -CA "$d/ca$c.crt" -CAkey "$d/ca$c.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 10 -extfile "$d/ext" -out "$d/cl$c.crt" 2>/dev/null || return 1
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/clA2.key" \
    -out "$d/clA2.csr" -subj "/CN=client-A2" 2>/dev/null || return 1
  openssl x509 -req -in "$d/clA2.csr" -CA "$d/caA.crt" -CAkey "$d/caA.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 10 -extfile "$d/ext" -out "$d/clA2.crt" 2>/dev/null || return 1
}

# status [CLIENT] : HTTP status of one request with client certificate CLIENT (A, B, C) or none; 000 = refused.
status() {
  local cert=()
  [ -n "${1:-}" ] && cert=(--cert "$MT/cl$1.crt" --key "$MT/cl$1.key")
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" \
    "${cert[@]}" "https://alpha.test:$CG_PORT/hello" || true
}

# install_ca NAME... : the client-CA file becomes the bundle of these CAs (atomic rename).
install_ca() {
  local n; : > "$MT/.bundle.tmp"
  for n in "$@"; do cat "$MT/ca$n.crt" >> "$MT/.bundle.tmp"; done
  mv "$MT/.bundle.tmp" "$MT/clientca.pem"
}
