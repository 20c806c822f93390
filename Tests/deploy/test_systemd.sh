#!/usr/bin/env bash
# The systemd kit, deploy/systemd/: certgate.service, certgate.sysusers and the certgate.yaml installed
# as /etc/certgate/certgate.yaml. Checks, in order:
#   1. the unit has the directives the deployment relies on (reload by SIGHUP, stop by SIGTERM, the
#      bind capability, a non-root user, the hardening set, LimitNOFILE, the syscall filter);
#   2. TimeoutStopSec is above shutdown-delay + drain-timeout of the shipped certgate.yaml;
#   3. certgate itself, started with the shipped certgate.yaml (paths and ports moved into a temporary
#      directory) under the unit's LimitNOFILE: `certgate check` passes, the descriptor limit and
#      max-connections auto are what the unit's comment says, SIGHUP (ExecReload) reloads, SIGTERM
#      (KillSignal) stops it with exit 0 well inside TimeoutStopSec; all of it under the unit's
#      SystemCallFilter and MemoryDenyWriteExecute, enforced by seccomp_exec.py (libseccomp), with a
#      TLS request and a rotation, as the unit's user (or nobody) with only its capabilities (setpriv),
#      on port 443 when it is free;
#   4. systemd-sysusers creates the user from certgate.sysusers (in a scratch root);
#   5. `systemd-analyze verify` on the unit, with ExecStart pointing at CERTGATE_BIN, prints nothing,
#      and `systemd-analyze security --offline=true` rates its exposure at most 2.0.
# systemd does not run as PID 1 here, so the unit is never started by systemd itself: apart from the
# system call filter, the sandboxing directives are checked for syntax and consistency, not enforced
# (docs/deployment.md says so). The Debian packages systemd and python3-seccomp are installed when
# missing (as root with apt-get).
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KIT="$ROOT/deploy/systemd"
UNIT="$KIT/certgate.service"
BIN=${CERTGATE_BIN:-$ROOT/.build/debug/certgate}
TMP=$(mktemp -d /tmp/cgsystemd.XXXXXX)
CG_PID=""
UP_PID=""
cleanup() {
    { [ -n "$CG_PID" ] && kill -KILL "$CG_PID" && wait "$CG_PID"; } 2> /dev/null
    { [ -n "$UP_PID" ] && kill -KILL "$UP_PID" && wait "$UP_PID"; } 2> /dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}
ok() { echo "ok: $*"; }

[ -f "$UNIT" ] || fail "$UNIT is missing"
[ -x "$BIN" ] || fail "certgate binary not found or not executable: $BIN (set CERTGATE_BIN)"

# --- 1. directives -----------------------------------------------------------------------------
# value KEY : the value of the last KEY= line of the unit (systemd's rule for single-valued keys).
value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
has() { grep -qxF -- "$1" "$UNIT" || fail "the unit lacks the line [$1]"; }

exec_start=$(value ExecStart)
[[ $exec_start == /usr/local/bin/certgate\ run\ --config\ /etc/certgate/certgate.yaml* ]] \
    || fail "ExecStart is [$exec_start], expected /usr/local/bin/certgate run --config /etc/certgate/certgate.yaml"
has 'ExecReload=/bin/kill -HUP $MAINPID'
has 'KillSignal=SIGTERM'
has 'AmbientCapabilities=CAP_NET_BIND_SERVICE'
has 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'
has 'NoNewPrivileges=yes'
has 'ProtectSystem=strict'
has 'ProtectHome=yes'
has 'PrivateTmp=yes'
has 'PrivateDevices=yes'
has 'SystemCallFilter=@system-service'
has 'SystemCallArchitectures=native'
user=$(value User)
[ "$(value DynamicUser)" = yes ] || { [ -n "$user" ] && [ "$user" != root ]; } \
    || fail "the unit needs DynamicUser=yes or a User= other than root (User=[$user])"
grep -Eq '^(Wants|Requires|After)=.*network-online\.target' "$UNIT" || fail "the unit does not wait for network-online.target"
nofile=$(value LimitNOFILE)
[[ $nofile =~ ^[0-9]+$ ]] || fail "LimitNOFILE is [$nofile], expected one number (soft = hard)"
ok "the unit has every required directive (User=$user, LimitNOFILE=$nofile)"

# --- 2. TimeoutStopSec against shutdown-delay + drain-timeout ------------------------------------
# seconds DURATION : whole seconds of a systemd/certgate duration (500ms, 30s, 2m, 1h, a bare number).
seconds() {
    local v=$1
    case $v in
    *ms) echo $(((${v%ms} + 999) / 1000)) ;;
    *s) echo "${v%s}" ;;
    *min) echo $((${v%min} * 60)) ;;
    *m) echo $((${v%m} * 60)) ;;
    *h) echo $((${v%h} * 3600)) ;;
    *[0-9]) echo "$v" ;;
    *) fail "cannot read the duration [$v]" ;;
    esac
}
yaml_value() { sed -n "s/^$1:[[:space:]]*\([^[:space:]#]*\).*/\1/p" "$KIT/certgate.yaml" | tail -n 1; }
stop=$(seconds "$(value TimeoutStopSec)")
delay=$(seconds "$(yaml_value shutdown-delay)")
drain=$(seconds "$(yaml_value drain-timeout)")
((stop > delay + drain)) || fail "TimeoutStopSec ${stop}s is not above shutdown-delay ${delay}s + drain-timeout ${drain}s"
ok "TimeoutStopSec ${stop}s > shutdown-delay ${delay}s + drain-timeout ${drain}s"

# --- 3. certgate with the shipped configuration, under the unit's descriptor limit ---------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The shipped listen address's port (443) on loopback when it is free, to check that the unit's user and
# capabilities can bind it; else a free port.
want_port=$(sed -n 's/^listen: .*:\([0-9]*\)$/\1/p' "$KIT/certgate.yaml")
if [[ $want_port =~ ^[0-9]+$ ]] && ! (exec 3<> "/dev/tcp/127.0.0.1/$want_port") 2> /dev/null; then
    port=$want_port
else
    port=$(free_port)
    echo "note: port ${want_port:-?} is taken here: certgate listens on $port"
fi
admin=$(free_port)
mkdir -p "$TMP/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$TMP/key" -out "$TMP/crt" 2>"$TMP/openssl.log" \
    || fail "openssl: $(cat "$TMP/openssl.log")"
cat "$TMP/crt" "$TMP/key" > "$TMP/certs/localhost.pem"
sed -e "s#^cert-dir: /etc/certgate/certs#cert-dir: $TMP/certs#" -e "s#^listen: .*#listen: 127.0.0.1:$port#" \
    -e "s#^admin: 127.0.0.1:9901#admin: 127.0.0.1:$admin#" "$KIT/certgate.yaml" > "$TMP/certgate.yaml"
grep -q "$TMP/certs" "$TMP/certgate.yaml" && grep -q ":$admin" "$TMP/certgate.yaml" \
    || fail "certgate.yaml no longer has the cert-dir and admin lines this test rewrites"
out=$("$BIN" check --config "$TMP/certgate.yaml" 2>&1) || fail "certgate check --config certgate.yaml: $out"
ok "certgate check passes on the shipped certgate.yaml"

limit=$nofile
if ! prlimit --nofile="$nofile:$nofile" true 2>/dev/null; then
    limit=$(ulimit -Hn)
    echo "note: this machine does not allow a hard RLIMIT_NOFILE of $nofile (hard limit $limit): the run below uses $limit"
fi
# The unit's SystemCallFilter, enforced with libseccomp (Debian's python3-seccomp) by seccomp_exec.py:
# a system call outside it kills certgate with SIGSYS.
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1 || return 1
    echo "installing the Debian package $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" > "$TMP/apt.log" 2>&1 \
        || { apt-get update -q > /dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" > "$TMP/apt.log" 2>&1; } \
        || { tail -n 3 "$TMP/apt.log"; return 1; }
}
command -v systemd-analyze > /dev/null 2>&1 || apt_install systemd
seccomp=()
if ! { /usr/bin/python3 -c 'import seccomp' 2> /dev/null || { apt_install python3-seccomp && /usr/bin/python3 -c 'import seccomp'; }; }; then
    echo "note: python3-seccomp is not available: certgate runs WITHOUT the unit's SystemCallFilter below"
elif ! command -v systemd-analyze > /dev/null 2>&1; then
    echo "note: systemd-analyze is not available to expand the filter: certgate runs WITHOUT the unit's SystemCallFilter below"
else
    seccomp=(/usr/bin/python3 "$ROOT/Tests/deploy/seccomp_exec.py" "$UNIT")
fi
upstream=$(free_port)
mkdir -p "$TMP/www" && echo "hello from upstream" > "$TMP/www/hello"
(cd "$TMP/www" && exec python3 -m http.server --bind 127.0.0.1 "$upstream" > "$TMP/upstream.log" 2>&1) &
UP_PID=$!
sed -i "s#^upstream: .*#upstream: 127.0.0.1:$upstream#" "$TMP/certgate.yaml"
# The unit's user (nobody:nogroup stands in where its user does not exist), capabilities and
# NoNewPrivileges, with setpriv (util-linux); the certificate is readable by the group only, as
# docs/deployment.md says to install it.
privs=()
run_user="$user" run_group="$(value Group)"
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null 2>&1; then
    echo "note: not root or no setpriv: certgate runs as $(id -un), not as the unit's user and capabilities"
else
    id -u "$run_user" > /dev/null 2>&1 || { run_user=nobody run_group=nogroup; }
    getent group "$run_group" > /dev/null || run_group=nogroup
    caps() { value "$1" | tr 'A-Z ' 'a-z,' | sed 's/cap_//g'; }
    privs=(setpriv --reuid="$run_user" --regid="$run_group" --clear-groups --inh-caps="-all,+$(caps AmbientCapabilities)"
        --ambient-caps="-all,+$(caps AmbientCapabilities)" --bounding-set="-all,+$(caps CapabilityBoundingSet)")
    [ "$(value NoNewPrivileges)" = yes ] && privs+=(--no-new-privs)
    chmod 755 "$TMP" && chmod 644 "$TMP/certgate.yaml"
    # What the user must read: the binary, and the filter's script and unit (copies where the
    # checkout is not readable by that user, as under /root).
    if ((${#seccomp[@]})); then
        cp "$ROOT/Tests/deploy/seccomp_exec.py" "$UNIT" "$TMP/" && chmod 644 "$TMP/seccomp_exec.py" "$TMP/certgate.service"
        seccomp=(/usr/bin/python3 "$TMP/seccomp_exec.py" "$TMP/certgate.service")
    fi
    if ! setpriv --reuid="$run_user" --regid="$run_group" --clear-groups test -x "$BIN"; then
        cp "$BIN" "$TMP/certgate" && chmod 755 "$TMP/certgate" && BIN="$TMP/certgate"
        echo "note: $run_user cannot run the binary where it is: a copy in $TMP runs"
    fi
    chgrp "$run_group" "$TMP/certs" "$TMP/certs/localhost.pem" && chmod 750 "$TMP/certs" && chmod 640 "$TMP/certs/localhost.pem"
fi
prlimit --nofile="$limit:$limit" "${privs[@]}" "${seccomp[@]}" "$BIN" run --config "$TMP/certgate.yaml" > "$TMP/certgate.log" 2>&1 &
CG_PID=$!
metrics() { curl -sS --max-time 5 "http://127.0.0.1:$admin/metrics"; }
metric() { metrics | awk -v n="$1" -v l="${2:-}" '!/^#/ && index($0, n (l == "" ? " " : "{" l)) == 1 { printf "%d\n", $NF }'; }
for _ in $(seq 1 100); do
    metrics > /dev/null 2>&1 && break
    kill -0 "$CG_PID" 2>/dev/null || { wait "$CG_PID"; fail "certgate exited with $? at start-up (159: SIGSYS, a system call outside the unit's SystemCallFilter): $(cat "$TMP/certgate.log")"; }
    sleep 0.1
done
if ((${#seccomp[@]})); then
    grep -Eq '^Seccomp:[[:space:]]+2$' "/proc/$CG_PID/status" || fail "certgate runs without a seccomp filter: $(grep Seccomp "/proc/$CG_PID/status")"
    ok "certgate runs under the unit's SystemCallFilter and MemoryDenyWriteExecute ($(grep -o '[0-9]* system calls allowed' "$TMP/certgate.log"), Seccomp: 2 in /proc)"
fi
if ((${#privs[@]})); then
    status=$(grep -E '^(Uid|CapEff|CapAmb|NoNewPrivs):' "/proc/$CG_PID/status" | tr -s '\t\n' '  ')
    [[ $status == "Uid: $(id -u "$run_user") "* ]] || fail "certgate does not run as $run_user: $status"
    ok "certgate runs as $run_user:$run_group on port $port with only $(value AmbientCapabilities) ($status)"
fi
line=$(grep 'file descriptor limit' "$TMP/certgate.log") || fail "no 'file descriptor limit' line: $(cat "$TMP/certgate.log")"
workers=$(sed -n 's/.* listening .*workers=\([0-9]*\).*/\1/p' "$TMP/certgate.log")
[[ $workers =~ ^[0-9]+$ ]] || fail "no workers= in the listening line: $(cat "$TMP/certgate.log")"
[[ $line == *" nofile=$limit "* || $line == *" nofile=$limit" ]] || fail "expected nofile=$limit: $line"
want=$(((limit - 64 - 2 * workers - 66) / 2))
[[ $line == *"max_connections=$want "* ]] || fail "expected max_connections=$want for nofile=$limit, $workers workers, admin: $line"
[ "$(metric certgate_connections_limit)" = "$want" ] || fail "certgate_connections_limit is $(metric certgate_connections_limit), expected $want"
ok "under LimitNOFILE $limit with $workers workers: max-connections auto = $want (log and certgate_connections_limit)"
ok "with the unit's LimitNOFILE=$nofile that is $(((nofile - 64 - 2 * workers - 66) / 2)) for $workers workers, $(((nofile - 64 - 8 - 66) / 2)) for 4"

https_get() {
    curl -sS --max-time 10 --cacert "$1" --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/hello" 2>&1
}
out=$(https_get "$TMP/crt") && [ "$out" = "hello from upstream" ] || fail "a request through certgate: [$out] $(tail -n 5 "$TMP/certgate.log")"
under=" (WITHOUT the system call filter)"
((${#seccomp[@]})) && under=" (under the unit's SystemCallFilter)"
ok "a TLS request through certgate reaches the upstream$under"

# A certificate rotation (atomic rename), noticed by inotify or the stat() check.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$TMP/key2" -out "$TMP/crt2" 2> "$TMP/openssl.log" \
    || fail "openssl: $(cat "$TMP/openssl.log")"
cat "$TMP/crt2" "$TMP/key2" > "$TMP/certs/.localhost.pem.tmp" && chgrp --reference="$TMP/certs" "$TMP/certs/.localhost.pem.tmp" \
    && chmod 640 "$TMP/certs/.localhost.pem.tmp" && mv "$TMP/certs/.localhost.pem.tmp" "$TMP/certs/localhost.pem"
for _ in $(seq 1 50); do
    out=$(https_get "$TMP/crt2") && break
    sleep 0.1
done
[ "$out" = "hello from upstream" ] || fail "the rotated certificate was not served within 5 s: [$out] $(tail -n 5 "$TMP/certgate.log")"
ok "a rotated certificate is served"

before=$(metric certgate_cert_reloads_total 'trigger="signal",result="unchanged"')
kill -HUP "$CG_PID" # what ExecReload does
for _ in $(seq 1 50); do
    [ "$(metric certgate_cert_reloads_total 'trigger="signal",result="unchanged"')" = $((before + 1)) ] && break
    sleep 0.1
done
[ "$(metric certgate_cert_reloads_total 'trigger="signal",result="unchanged"')" = $((before + 1)) ] \
    || fail "SIGHUP (ExecReload) was not counted as a signal reload: $(metrics | grep 'trigger="signal"')"
kill -0 "$CG_PID" 2>/dev/null || fail "certgate died on SIGHUP: $(cat "$TMP/certgate.log")"
ok "SIGHUP (ExecReload) reloads: certgate_cert_reloads_total{trigger=\"signal\",result=\"unchanged\"} +1"

started=$SECONDS
kill -TERM "$CG_PID" # KillSignal
wait "$CG_PID"
rc=$?
CG_PID=""
took=$((SECONDS - started))
sigsys=""
[ "$rc" = 159 ] && sigsys=" (SIGSYS: a system call outside the unit's SystemCallFilter)"
[ "$rc" = 0 ] || fail "certgate exited with $rc after SIGTERM$sigsys: $(tail -n 5 "$TMP/certgate.log")"
((took < stop)) || fail "certgate took ${took}s to stop, TimeoutStopSec is ${stop}s"
ok "SIGTERM (KillSignal) stops certgate with exit 0 in ${took}s$under"

# --- 4. the system user ----------------------------------------------------------------------------
if command -v systemd-sysusers > /dev/null 2>&1; then
    mkdir -p "$TMP/root/etc"
    out=$(systemd-sysusers --root="$TMP/root" - < "$KIT/certgate.sysusers" 2>&1) || fail "systemd-sysusers: $out"
    grep -q "^$user:x:[0-9]*:[0-9]*:" "$TMP/root/etc/passwd" || fail "systemd-sysusers made no user $user: $out"
    grep -q "^$(value Group):x:" "$TMP/root/etc/group" || fail "systemd-sysusers made no group $(value Group): $out"
    ok "systemd-sysusers creates $user:$(value Group) from certgate.sysusers"
fi

# --- 5. systemd-analyze verify ---------------------------------------------------------------------
command -v systemd-analyze > /dev/null 2>&1 \
    || { echo "skip: systemd-analyze is not installed and could not be (Debian package systemd); checks 1-4 passed"; exit 77; }
mkdir -p "$TMP/unit"
sed "s#/usr/local/bin/certgate#$BIN#g" "$UNIT" > "$TMP/unit/certgate.service"
out=$(cd "$TMP/unit" && systemd-analyze verify "$TMP/unit/certgate.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ $out == *"Failed to "*"manager"* || $out == *"Failed to initialize"* ]]; then
    echo "$out"
    echo "skip: systemd-analyze verify cannot run on this machine ($(echo "$out" | tail -n 1)); checks 1-4 passed"
    exit 77
fi
[ $rc -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc): $out"
ok "systemd-analyze verify: no findings ($(systemd-analyze --version | head -n 1))"

# The unit's exposure as systemd-analyze security rates it (0 best, 10 worst), offline: at most 2.0.
out=$(cd "$TMP/unit" && systemd-analyze security --offline=true "$TMP/unit/certgate.service" 2>&1)
score=$(echo "$out" | sed -n 's/.*Overall exposure level for certgate.service: \([0-9.]*\).*/\1/p')
[[ $score =~ ^[0-9]+\.[0-9]+$ ]] || fail "systemd-analyze security --offline=true gave no exposure level: $(echo "$out" | tail -n 3)"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure level $score is above 2.0: $(echo "$out" | grep '✗')"
ok "systemd-analyze security --offline=true: exposure level $score (at most 2.0)"
