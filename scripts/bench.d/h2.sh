# shellcheck shell=bash
# The h2 scenario of scripts/bench (sourced by it; uses its globals and helpers: WORK, PORT, MAIN_PID,
# STARTED, UP_PORT, CG, PEERS, DURATION, ROUNDS, WARMUP, LOAD_CPU, PROXY_CPU, HZ, CIPHERSUITE,
# spawn_proxy, stop_proxy, proxy_alive, proxy_ticks, cpu_busy_ticks, pick_ports, record, say, section).
#
# Proxy CPU per request over HTTP/2 keep-alive: h2load (nghttp2-client) on CPU 0 with H2_CLIENTS
# connections and H2_STREAMS concurrent streams on each, GET /hello, offering only h2 and TLS 1.3 with
# CIPHERSUITE; each proxy terminates HTTP/2 and speaks HTTP/1.1 to the upstream over a keep-alive pool,
# setting X-Forwarded-*:
#   certgate-h2  certgate --alpn h2,http/1.1 --forward-headers (n/a when certgate refuses that)
#   nginx-h2     listen ... ssl http2; proxy_pass to an upstream block with keepalive; proxy_set_header
#   haproxy-h2   mode http; bind ... ssl crt ... alpn h2,http/1.1; option forwardfor; http-reuse always

readonly H2_CLIENTS=4 H2_STREAMS=10

h2_write_configs() {
    mkdir -p "$WORK/nginx-h2/tmp"
    cat >"$WORK/nginx-h2/nginx.conf" <<EOF
user root;
worker_processes 1;
worker_rlimit_nofile 10000;
pid $WORK/nginx-h2/nginx.pid;
error_log $WORK/nginx-h2/error.log warn;
daemon off;
events { worker_connections 4000; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx-h2/tmp; proxy_temp_path $WORK/nginx-h2/tmp;
    fastcgi_temp_path $WORK/nginx-h2/tmp; uwsgi_temp_path $WORK/nginx-h2/tmp; scgi_temp_path $WORK/nginx-h2/tmp;
    keepalive_requests 100000000; keepalive_timeout 600s;
    upstream up { server 127.0.0.1:$UP_PORT; keepalive 64; keepalive_requests 100000000; }
    server {
        listen 127.0.0.1:${PORT[nginx-h2]} ssl http2 backlog=4096;
        ssl_certificate $WORK/pki/bench.crt;
        ssl_certificate_key $WORK/pki/bench.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Port \$server_port;
        }
    }
}
EOF
    cat >"$WORK/haproxy-h2.cfg" <<EOF
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 600s
    timeout server 600s
frontend fe
    bind 127.0.0.1:${PORT[haproxy-h2]} ssl crt $WORK/pki/bench.pem alpn h2,http/1.1
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Port %[dst_port]
    default_backend be
backend be
    http-reuse always
    server up 127.0.0.1:$UP_PORT
EOF
}

# h2_start_proxy NAME: starts it like start_proxy does (one worker on PROXY_CPU); returns 1 if it does not
# come up serving TLS.
h2_start_proxy() {
    local name=$1 port=${PORT[$1]} cmd=()
    case $name in
    certgate-h2) cmd=("$CG" run --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UP_PORT"
        --cert-dir "$WORK/certgate-certs" --workers 1 --log-level warning --alpn h2,http/1.1 --forward-headers) ;;
    nginx-h2) cmd=(nginx -c "$WORK/nginx-h2/nginx.conf" -p "$WORK/nginx-h2" -e "$WORK/nginx-h2/error.log") ;;
    haproxy-h2) cmd=(haproxy -db -f "$WORK/haproxy-h2.cfg") ;;
    esac
    spawn_proxy "$name" "${cmd[@]}"
}

# run_h2load NAME SECONDS: sets H2_OUT.
run_h2load() {
    H2_OUT=$(taskset -c "$LOAD_CPU" h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$2" --npn-list=h2 \
        --tls13-ciphers="$CIPHERSUITE" "https://127.0.0.1:${PORT[$1]}/hello" 2>&1) || true
}

# parse_h2load OUTPUT: sets H_REQS (succeeded), H_RPS, H_ERRS (failed + errored + timeout + 4xx/5xx
# responses), H_DETAIL, H_PROTO (the agreed application protocol), H_TLS, H_CIPHER.
parse_h2load() {
    local line codes
    line=$(grep -m1 '^requests:' <<<"$1" || true)
    codes=$(grep -m1 '^status codes:' <<<"$1" || true)
    H_REQS=$(sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' <<<"$line")
    H_RPS=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$1" | head -1)
    H_ERRS=$(awk -v l="$line" -v c="${codes#status codes: }" 'BEGIN {
        t = 0
        if (match(l, /[0-9]+ failed/)) t += substr(l, RSTART, RLENGTH) + 0
        if (match(l, /[0-9]+ errored/)) t += substr(l, RSTART, RLENGTH) + 0
        if (match(l, /[0-9]+ timeout/)) t += substr(l, RSTART, RLENGTH) + 0
        n = split(c, a, /, /)
        for (i = 1; i <= n; i++) if (a[i] ~ /[45]xx/) t += a[i] + 0
        print t }')
    H_PROTO=$(sed -n 's/^Application protocol: //p' <<<"$1" | head -1)
    H_TLS=$(sed -n 's/^TLS Protocol: //p' <<<"$1" | head -1)
    H_CIPHER=$(sed -n 's/^Cipher: //p' <<<"$1" | head -1)
    H_DETAIL="${line#requests: }; ${codes#status codes: }"
    H_REQS=${H_REQS:-0}
    H_RPS=${H_RPS:-0}
}

h2_measure() {
    local name=$1 round=$2
    if ! proxy_alive "$name"; then
        say "  $name is not running (crashed?): restarting it; see $WORK/$name.log"
        record h2 "$name" "$round" restart 1 count "process was gone before this round"
        h2_start_proxy "$name" || { record h2 "$name" "$round" cpu_us_per_req NaN us "did not restart"; return 0; }
    fi
    kill -0 "$UP_PID" 2>/dev/null || die "the upstream nginx is gone; see $WORK/upstream/error.log"
    local t0 t1 b0 b1 other per cpu_us cpu_s line
    b0=$(cpu_busy_ticks)
    t0=$(proxy_ticks "$name")
    run_h2load "$name" "$DURATION"
    sleep 0.3
    t1=$(proxy_ticks "$name")
    b1=$(cpu_busy_ticks)
    other=$(awk -v b=$((b1 - b0)) -v p=$((t1 - t0)) 'BEGIN { o = b > 0 ? 100 * (b - p) / b : 0; if (o < 0) o = 0; printf "%.0f", o }')
    parse_h2load "$H2_OUT"
    cpu_us=$(((t1 - t0) * 1000000 / HZ))
    cpu_s=$(awk -v c="$cpu_us" 'BEGIN{printf "%.2f", c/1e6}')
    if ((H_REQS > 0)) && [[ $H_PROTO == h2 ]]; then
        per=$(awk -v c="$cpu_us" -v r="$H_REQS" 'BEGIN { printf "%.1f", c / r }')
    else
        per=NaN
        say "  h2load output for $name (protocol '${H_PROTO:-none}'):"
        while IFS= read -r line; do say "    $line"; done <<<"$(tail -15 <<<"$H2_OUT")"
    fi
    printf '  %-9s round %s  %-10s  %8s us/req  reqs=%-7s errors=%-5s rps=%-9s cpu=%ss other=%s%%  %s %s %s\n' \
        h2 "$round" "$name" "$per" "$H_REQS" "$H_ERRS" "$H_RPS" "$cpu_s" "$other" "${H_PROTO:-?}" "${H_TLS:-?}" "${H_CIPHER:-?}"
    local detail="rps=$H_RPS cpu_s=$cpu_s cpu${PROXY_CPU}_other=${other}% proto=${H_PROTO:-?} tls=${H_TLS:-?} cipher=${H_CIPHER:-?} $H_DETAIL"
    record h2 "$name" "$round" cpu_us_per_req "$per" us "$detail"
    record h2 "$name" "$round" requests "$H_REQS" count ""
    record h2 "$name" "$round" cpu1_other_pct "$other" % "busy time of CPU $PROXY_CPU not spent in the proxy"
    record h2 "$name" "$round" errors "$H_ERRS" count "h2load failed + errored + timeout + 4xx/5xx: $H_DETAIL"
    [[ -z $H_TLS || $H_TLS == TLSv1.3 ]] || say "  !! $name: h2load agreed $H_TLS, not TLSv1.3"
    proxy_alive "$name" || say "  !! $name exited during this run; log: $(tail -1 "$WORK/$name.log" 2>/dev/null)"
}

h2_scenario() {
    local base list=() name round
    base=$(pick_ports)
    PORT[certgate-h2]=$base PORT[nginx-h2]=$((base + 1)) PORT[haproxy-h2]=$((base + 2))
    h2_write_configs
    section "h2: proxy CPU per request over HTTP/2 keep-alive (h2load -c$H2_CLIENTS -m$H2_STREAMS, GET /hello, HTTP/1.1 keep-alive to the upstream, X-Forwarded-* set)"
    if h2_start_proxy certgate-h2; then
        list+=(certgate-h2)
    else
        printf '  h2        %-10s  n/a (certgate did not start with --alpn h2,http/1.1 --forward-headers: %s)\n' \
            certgate-h2 "$(tail -1 "$WORK/certgate-h2.log" 2>/dev/null | cut -c1-120)"
        record h2 certgate-h2 1 cpu_us_per_req n/a us "did not start with --alpn h2,http/1.1 --forward-headers: $(tail -1 "$WORK/certgate-h2.log" 2>/dev/null)"
        stop_proxy certgate-h2
    fi
    [[ ,$PEERS, == *,nginx,* ]] && list+=(nginx-h2)
    [[ ,$PEERS, == *,haproxy,* ]] && list+=(haproxy-h2)
    for name in "${list[@]}"; do
        [[ $name == certgate-h2 ]] && continue
        h2_start_proxy "$name" || die "$name did not start serving TLS on 127.0.0.1:${PORT[$name]}"
    done
    if ((WARMUP > 0)); then
        for name in "${list[@]}"; do run_h2load "$name" "$WARMUP"; done
    fi
    for round in $(seq 1 "$ROUNDS"); do
        for name in "${list[@]}"; do h2_measure "$name" "$round"; done
    done
    for name in "${list[@]}"; do stop_proxy "$name"; done
}
