# shellcheck shell=bash
# Sourced by scripts/bench: the idle10k and scale scenarios and the OpenSSL floor row of newconn.
# Uses the bench's globals and helpers (WORK, CG, PORT, UP_PORT, PROXY_CPU, LOAD_CPU, HELPERS, PEER_LIST,
# record, section, say, spawn_proxy, stop_proxy, proxy_ticks, run_wrk, parse_wrk, many_certs_dir).

# --- OpenSSL floor ---------------------------------------------------------------------------------

readonly FLOOR_HANDSHAKES=2000

# openssl_floor: OpenSSL's own server-side TLS 1.3 handshake CPU (scripts/bench.d/hsfloor.c: memory BIO
# pair, the bench certificate, X25519, TLS_AES_128_GCM_SHA256), on PROXY_CPU, --rounds times; recorded
# as the newconn row of proxy `openssl-floor`. No proxy can spend less per new connection: the rest of a
# proxy's figure is TCP, the event loop, the request and the upstream connection.
openssl_floor() {
    cc -O2 -o "$WORK/hsfloor" "$HELPERS/hsfloor.c" -lssl -lcrypto || { say "  (could not build hsfloor.c)"; return 0; }
    local round out us
    for round in $(seq 1 "$ROUNDS"); do
        out=$(taskset -c "$PROXY_CPU" "$WORK/hsfloor" "$WORK/pki/bench.crt" "$WORK/pki/bench.key" "$FLOOR_HANDSHAKES" 2>&1) || true
        us=$(sed -n 's/.*server_us_per_handshake=\([^ ]*\).*/\1/p' <<<"$out")
        printf '  newconn   round %s  %-13s %8s us/handshake  (server side only, memory BIO, no TCP; %s)\n' \
            "$round" openssl-floor "${us:-?}" "$out"
        record newconn openssl-floor "$round" cpu_us_per_req "${us:-NaN}" us "$out"
    done
}

# --- idle10k ---------------------------------------------------------------------------------------

IDLE_SECONDS=${IDLE_SECONDS:-30}
readonly IDLE_SETTLE=5

# idle10k: each proxy started with the NCERTS certificates of certs10k, left alone for IDLE_SETTLE s after
# its first handshake, then its CPU time (every thread of every process) over IDLE_SECONDS with no
# traffic: % of one core. certgate runs with --watch auto (inotify + the stat() backstop) and as
# certgate-stat with --watch stat (the stat() check alone, every --stat-interval); hitch and haproxy load
# the same directory (nginx has no certificate directory).
idle10k_scenario() {
    section "idle10k: CPU of an idle proxy holding $NCERTS certificates (${IDLE_SECONDS}s of no traffic, ${IDLE_SETTLE}s after ready)"
    local dir name cmd out pct port=${PORT[certgate]}
    dir=$(many_certs_dir)
    write_many_configs "$dir" "$port"
    local list=(certgate certgate-stat)
    [[ -n $BASELINE ]] && list+=(certgate-base)
    for name in "${PEER_LIST[@]}"; do [[ $name != nginx ]] && list+=("$name"); done
    for name in "${list[@]}"; do
        local common=(run --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$dir" --workers 1
            --log-level warning)
        case $name in
        certgate) cmd=("$CG" "${common[@]}" --watch auto) ;;
        certgate-stat) cmd=("$CG" "${common[@]}" --watch stat) ;;
        certgate-base) cmd=("$BASELINE" "${common[@]}") ;;
        hitch) cmd=(hitch --config="$WORK/hitch-many.conf") ;;
        haproxy) cmd=(haproxy -db -f "$WORK/haproxy-many.cfg") ;;
        esac
        port_busy "$port" && die "port $port is still in use"
        out=$(python3 "$HELPERS/idlecpu.py" "$port" "$STARTUP_TIMEOUT" "$IDLE_SETTLE" "$IDLE_SECONDS" \
            host00000.example.com "$WORK/$name-idle10k.log" -- taskset -c "$PROXY_CPU" "${cmd[@]}" 2>&1 | tail -1) || true
        pct=$(sed -n 's/.*idle_cpu_pct=\([^ ]*\).*/\1/p' <<<"$out")
        printf '  idle10k   %-13s %7s %% of a core  %s\n' "$name" "${pct:-?}" "$out"
        record idle10k "$name" 1 idle_cpu_pct "${pct:-NaN}" % "$out"
        sleep 0.5
    done
    record idle10k certgate 1 certs "$NCERTS" count ""
    say "  goal (issue 13): certgate <= 0.3 % with inotify active, certgate-stat <= 1 %"
}

# --- scale -----------------------------------------------------------------------------------------

# scale: certgate with --workers 1 and --workers 2, both free to run on CPUs 0 and 1 (not pinned), under
# the newconn load (wrk and the upstream pinned to CPU LOAD_CPU as everywhere else), --rounds times
# interleaved. On a 2-core machine wrk needs a core of its own, so the throughput cannot double; what the
# scenario shows is whether a second worker costs CPU per connection (shared state, lock contention,
# cache traffic): new connections per CPU-second at 2 workers against 1 (1.00: no loss), and how evenly
# SO_REUSEPORT spread the connections (each worker thread's share of the CPU).
scale_scenario() {
    section "scale: new TLS connections per CPU-second, --workers 1 against --workers 2 (certgate on CPUs 0-1)"
    local w name round t0 t1 cpu_us per cps threads
    PORT[certgate-w1]=$((UP_PORT + 21))
    PORT[certgate-w2]=$((UP_PORT + 22))
    for w in 1 2; do
        name=certgate-w$w
        port_busy "${PORT[$name]}" && die "port ${PORT[$name]} is in use"
        PIN_CPUS=0,1 spawn_proxy "$name" taskset -c 0,1 "$CG" run --listen "127.0.0.1:${PORT[$name]}" --upstream "127.0.0.1:$UP_PORT" \
            --cert-dir "$WORK/certgate-certs" --workers "$w" --log-level warning ||
            die "$name did not start serving TLS 1.3 on 127.0.0.1:${PORT[$name]}"
        ((WARMUP > 0)) && run_wrk newconn "$name" "$WARMUP"
    done
    for round in $(seq 1 "$ROUNDS"); do
        for w in 1 2; do
            name=certgate-w$w
            t0=$(proxy_ticks "$name")
            local w0 w1
            w0=$(worker_ticks "$name")
            run_wrk newconn "$name" "$DURATION"
            sleep 0.3
            t1=$(proxy_ticks "$name")
            w1=$(worker_ticks "$name")
            parse_wrk "$WRK_OUT"
            cpu_us=$(((t1 - t0) * 1000000 / HZ))
            per=NaN cps=NaN
            if ((W_REQS > 0 && cpu_us > 0)); then
                per=$(awk -v c="$cpu_us" -v r="$W_REQS" 'BEGIN { printf "%.1f", c / r }')
                cps=$(awk -v c="$cpu_us" -v r="$W_REQS" 'BEGIN { printf "%.0f", r / (c / 1e6) }')
            fi
            threads=$(awk -v a="$w0" -v b="$w1" 'BEGIN {
                n = split(a, x, " "); split(b, y, " "); s = ""; t = 0
                for (i = 1; i <= n; i++) { d[i] = y[i] - x[i]; t += d[i] }
                for (i = 1; i <= n; i++) s = s sprintf("%sw%d=%.0f%%", i > 1 ? "," : "", i - 1, t ? 100 * d[i] / t : 0)
                print s }')
            printf '  scale     round %s  %-12s %8s us/conn  %7s conns/CPU-s  rps=%-8s errors=%-4s workers: %s\n' \
                "$round" "$name" "$per" "$cps" "$W_RPS" "$W_ERRS" "$threads"
            record scale "$name" "$round" cpu_us_per_req "$per" us "rps=$W_RPS workers=[$threads]"
            record scale "$name" "$round" conns_per_cpu_s "$cps" conns/s "rps=$W_RPS"
            record scale "$name" "$round" errors "$W_ERRS" count "socket_errors=[${W_SOCKERR:-none}]"
        done
    done
    stop_proxy certgate-w1
    stop_proxy certgate-w2
}

# worker_ticks NAME: utime+stime of each worker thread (certgate-wN) of proxy NAME, in worker order.
worker_ticks() {
    local pid=${MAIN_PID[$1]} t comm stat rest f out=()
    for t in /proc/"$pid"/task/*; do
        comm=$(cat "$t/comm" 2>/dev/null) || continue
        [[ $comm == certgate-w* ]] || continue
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        rest=${stat##*) }
        read -r -a f <<<"$rest"
        out[${comm#certgate-w}]=$((f[11] + f[12]))
    done
    printf '%s' "${out[*]}"
}
