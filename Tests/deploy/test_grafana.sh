#!/usr/bin/env bash
# The Grafana dashboard, deploy/grafana/certgate.json: it is what deploy/grafana/dashboard.py writes, and
# every panel's query works against a real Prometheus scraping a real certgate (CERTGATE_BIN) that has
# served some traffic: certgate with the integration suite's certificates, a client CA with a CRL
# (optional client certificates), TLS requests with and without a client certificate, and failed
# handshakes (a TCP connect without a ClientHello, plain HTTP on the TLS port), and a SIGHUP reload per round. Grafana itself is not
# run here (no package): the JSON model is checked by Tests/deploy/grafana_check.py.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -uo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$DEPLOY_DIR/../integration/lib.sh"
DASH="$REPO_ROOT/deploy/grafana/certgate.json"

command -v prometheus > /dev/null 2>&1 \
    || skip "prometheus not found: it is in the Debian package 'prometheus' (Tests/integration/REQUIREMENTS; scripts/test installs it)"
out=$("$PY" "$REPO_ROOT/deploy/grafana/dashboard.py" --check 2>&1) || fail "$out"
note "ok: certgate.json is what deploy/grafana/dashboard.py writes"

CG_TMP=$(mktemp -d /tmp/cggrafana.XXXXXX)
CG_PKI="$CG_TMP/pki"
export CG_TMP CG_PKI
trap '_cleanup; rm -rf "$CG_TMP"' EXIT
cd "$CG_TMP" || exit 2
pki_init "$CG_PKI" || fail "PKI generation failed"
MT="$CG_TMP/mt"
mtls_pki "$MT" || fail "client PKI generation failed"
crl_make "$MT/crlA.pem" "$MT/caA.crt" "$MT/caA.key" || fail "CRL generation failed"

admin_init
std_start --client-ca "$MT/caA.crt" --client-crl "$MT/crlA.pem" --client-auth optional
admin_get /metrics > "$CG_TMP/metrics.txt" || fail "GET /metrics"

pport=$(free_port)
mkdir -p "$CG_TMP/prom-data"
cat > "$CG_TMP/prometheus.yml" << EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: certgate
    static_configs:
      - targets: ['127.0.0.1:$CG_ADMIN']
EOF
start=$(date +%s)
prometheus --config.file="$CG_TMP/prometheus.yml" --storage.tsdb.path="$CG_TMP/prom-data" \
    --web.listen-address="127.0.0.1:$pport" > "$CG_TMP/prometheus.log" 2>&1 &
_register_aux $!
prom_up() { curl -sS --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=up{job="certgate"}' | grep -q '"1"\]'; }
wait_for 20 prom_up || {
    tail -n 20 "$CG_TMP/prometheus.log"
    fail "Prometheus did not scrape certgate (up == 1) within 20 s"
}
note "ok: Prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{print $3}') on 127.0.0.1:$pport scrapes certgate"

# Traffic in three rounds a few scrapes apart, so that rate() over 4 s sees it move.
for round in 1 2 3; do
    for _ in 1 2 3; do
        out=$(https alpha.test /hello 2>&1) && [ "$out" = "hello from upstream" ] || fail "request: $out"
    done
    out=$(https alpha.test /hello --cert "$MT/clA.crt" --key "$MT/clA.key" 2>&1) || fail "request with a client certificate: $out"
    (exec 3<> "/dev/tcp/127.0.0.1/$CG_PORT") # connect, no ClientHello: peer_closed
    curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$CG_PORT/" # plain HTTP on the TLS port: not_tls
    kill -HUP "$CG_PID" # a reload (configuration and certificates): the reload panels move
    note "traffic round $round sent (and SIGHUP)"
    sleep 2
done
# Two more scrapes after the last round.
sleep 3
"$PY" "$DEPLOY_DIR/grafana_check.py" "$DASH" "$CG_TMP/metrics.txt" "http://127.0.0.1:$pport" "$start" certgate \
    > "$CG_TMP/check.out" 2>&1
rc=$?
grep -v '^ok ' "$CG_TMP/check.out"
note "$(grep -c '^ok ' "$CG_TMP/check.out") checks passed"
[ $rc -eq 0 ] || fail "the dashboard check found problems (above)"
