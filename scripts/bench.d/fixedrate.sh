# shellcheck shell=bash
# The fixed-rate scenarios of scripts/bench, newconn-fixed and keepalive-fixed (sourced by it before it
# parses its options; the functions use its globals and helpers: WORK, HELPERS, PORT, MAIN_PID, PROXIES,
# UP_PID, DURATION, ROUNDS, WARMUP, LOAD_CPU, PROXY_CPU, HZ, CIPHERSUITE, start_proxy, stop_proxy,
# proxy_alive, tree_pids, cpu_busy_ticks, record, say, section, die, is_uint).
#
# newconn and keepalive run wrk closed-loop: each proxy is driven as fast as it goes, so each is measured
# at its own rate, and CPU per operation depends on the rate (at saturation a proxy batches several
# events per wake-up; at a low rate it pays the wake-ups, timers and syscalls of every event alone).
# Here every proxy gets exactly the same offered rate from scripts/bench.d/fixedrate.c, an open-loop
# generator (operation i is due at i / RATE seconds, whatever happened to the others), on LOAD_CPU:
#   newconn-fixed    FIXED_NEWCONN_RATE new TLS 1.3 connections per second (full handshake, no session
#                    reuse), each carrying one GET /hello with Connection: close
#   keepalive-fixed  FIXED_KEEPALIVE_RATE GET /hello per second over FIXED_KEEPALIVE_CONNS keep-alive
#                    connections
# CPU us per operation = the proxy's CPU time (every thread of its processes, sampled by the generator
# from when the schedule starts until 0.3 s after the last response) / operations completed. Each run
# must sustain the rate: every operation completed, no errors, achieved rate >= 98 % of the target;
# otherwise the line is marked `NOT SUSTAINED` and the summary says so.

FIXED_NEWCONN_RATE=500
FIXED_KEEPALIVE_RATE=10000
readonly FIXED_KEEPALIVE_CONNS=16 FIXED_NEWCONN_MAXCONN=1000

fixedrate_check_options() {
    local v
    for v in FIXED_NEWCONN_RATE FIXED_KEEPALIVE_RATE; do
        is_uint "${!v}" && ((${!v} > 0)) || die "--$(tr '_A-Z' '-a-z' <<<"$v") must be a whole number above 0 (got '${!v}')"
    done
}

fixedrate_build() {
    [[ -x $WORK/fixedrate ]] && return 0
    cc -O2 -o "$WORK/fixedrate" "$HELPERS/fixedrate.c" -lssl -lcrypto ||
        die "could not build the fixed-rate load generator (needs gcc and libssl-dev)"
}

# fixedrate_run KIND NAME SECONDS [PIDS]: one run of the generator against proxy NAME; sets FR_OUT.
fixedrate_run() {
    local kind=$1 name=$2 secs=$3 pids=${4:-} rate conns
    if [[ $kind == newconn ]]; then rate=$FIXED_NEWCONN_RATE conns=$FIXED_NEWCONN_MAXCONN
    else rate=$FIXED_KEEPALIVE_RATE conns=$FIXED_KEEPALIVE_CONNS; fi
    FR_OUT=$(taskset -c "$LOAD_CPU" "$WORK/fixedrate" "$kind" 127.0.0.1 "${PORT[$name]}" /hello "$rate" "$secs" \
        "$conns" ${pids:+"$pids"} 2>&1 | tail -1) || true
}

# fr_kv KEY: the value of KEY=VALUE in FR_OUT.
fr_kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$FR_OUT" | tail -1; }

fixedrate_measure() {
    local kind=$1 name=$2 round=$3 scen=$1-fixed
    if ! proxy_alive "$name"; then
        say "  $name is not running (crashed?): restarting it; see $WORK/$name.log"
        record "$scen" "$name" "$round" restart 1 count "process was gone before this round"
        start_proxy "$name"
    fi
    kill -0 "$UP_PID" 2>/dev/null || die "the upstream nginx is gone; see $WORK/upstream/error.log"
    local pids b0 b1
    pids=$(tree_pids "${MAIN_PID[$name]}")
    b0=$(cpu_busy_ticks)
    fixedrate_run "$kind" "$name" "$DURATION" "${pids// /,}"
    b1=$(cpu_busy_ticks)
    local ticks ok sched errs target achieved per=NaN cpu_s other sustained=1
    ticks=$(fr_kv pid_ticks) ok=$(fr_kv ok) sched=$(fr_kv scheduled) errs=$(fr_kv errors)
    target=$(fr_kv target_rps) achieved=$(fr_kv achieved_rps)
    if [[ -z $ticks || -z $ok ]]; then
        say "  $scen round $round $name: the generator failed: $FR_OUT"
        record "$scen" "$name" "$round" cpu_us_per_req NaN us "generator failed: $FR_OUT"
        return 0
    fi
    ((ok > 0)) && per=$(awk -v t="$ticks" -v hz="$HZ" -v n="$ok" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    cpu_s=$(awk -v t="$ticks" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')
    # Share of CPU 1's busy time that was not the proxy (this window also holds the generator's set-up).
    other=$(awk -v b=$((b1 - b0)) -v p="$ticks" 'BEGIN { o = b > 0 ? 100 * (b - p) / b : 0; if (o < 0) o = 0; printf "%.0f", o }')
    ((ok == sched && errs == 0)) || sustained=0
    awk -v a="$achieved" -v t="$target" 'BEGIN { exit !(a >= 0.98 * t) }' || sustained=0
    printf '  %-15s round %s  %-8s  %8s us/op  ok=%s/%s errors=%s achieved=%s/s of %s/s latency p50 %s ms p99 %s ms cpu=%ss other=%s%% client_cpu=%ss  handshakes=%s resumed=%s tls13=%s%s\n' \
        "$scen" "$round" "$name" "$per" "$ok" "$sched" "$errs" "$achieved" "$target" "$(fr_kv lat_p50_ms)" \
        "$(fr_kv lat_p99_ms)" "$cpu_s" "$other" "$(fr_kv client_cpu_s)" "$(fr_kv handshakes)" "$(fr_kv resumed)" "$(fr_kv tls13)" \
        "$( ((sustained)) || echo '  !! NOT SUSTAINED')"
    local detail="target_rps=$target achieved_rps=$achieved cpu_s=$cpu_s cpu${PROXY_CPU}_other=${other}% $FR_OUT"
    record "$scen" "$name" "$round" cpu_us_per_req "$per" us "$detail"
    record "$scen" "$name" "$round" requests "$ok" count "of $sched scheduled"
    record "$scen" "$name" "$round" target_rps "$target" rps ""
    record "$scen" "$name" "$round" achieved_rps "$achieved" rps "ok / max(duration, first due -> last completion)"
    record "$scen" "$name" "$round" sustained "$sustained" flag "1: every operation ok, no errors, achieved >= 98 % of target"
    record "$scen" "$name" "$round" latency_p50_ms "$(fr_kv lat_p50_ms)" ms "from when due to the response's last byte"
    record "$scen" "$name" "$round" latency_p99_ms "$(fr_kv lat_p99_ms)" ms ""
    record "$scen" "$name" "$round" cpu1_other_pct "$other" % "busy time of CPU $PROXY_CPU not spent in the proxy"
    record "$scen" "$name" "$round" errors "$errs" count "$(grep -o 'err_[a-z]*=[0-9]*' <<<"$FR_OUT" | tr '\n' ' ')"
    proxy_alive "$name" || say "  !! $name exited during this run; log: $(tail -1 "$WORK/$name.log" 2>/dev/null)"
}

# fixedrate_scenario newconn|keepalive: every proxy of PROXIES at the same offered rate, interleaved,
# --rounds times; starts the proxies that are not running and stops them at the end.
fixedrate_scenario() {
    local kind=$1 name round what
    fixedrate_build
    if [[ $kind == newconn ]]; then
        what="$FIXED_NEWCONN_RATE new TLS connections/s for every proxy (full handshake, 1 request, Connection: close)"
    else
        what="$FIXED_KEEPALIVE_RATE keep-alive requests/s for every proxy ($FIXED_KEEPALIVE_CONNS connections, GET /hello)"
    fi
    section "$kind-fixed: proxy CPU per operation at a fixed rate: $what"
    for name in "${PROXIES[@]}"; do proxy_alive "$name" || start_proxy "$name"; done
    if ((WARMUP > 0)); then
        for name in "${PROXIES[@]}"; do fixedrate_run "$kind" "$name" "$WARMUP"; done
    fi
    for round in $(seq 1 "$ROUNDS"); do
        for name in "${PROXIES[@]}"; do fixedrate_measure "$kind" "$name" "$round"; done
    done
    for name in "${PROXIES[@]}"; do stop_proxy "$name"; done
}
