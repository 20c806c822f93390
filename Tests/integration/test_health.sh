#!/usr/bin/env bash
# `certgate health`: GET /healthz on the --admin address of the configuration given (a wildcard address
# means the loopback); exit 0 on 200, else 1 with one line saying why. Used by the image's HEALTHCHECK.
# Also the admin listener's exposure rule: non-loopback without a token refuses /metrics and /reload.
source "$(dirname "$0")/lib.sh"

# run_health ARGS... : sets H_RC, H_ERR. --listen/--upstream/--cert-dir are given as run would need them.
run_health() {
  H_RC=0
  note "run: certgate health $*"
  timeout 20 "$CG_BIN" health --listen 127.0.0.1:1 --upstream 127.0.0.1:9 --cert-dir "$CG_TMP/certs" "$@" \
    >"$CG_TMP/health.out" 2>"$CG_TMP/health.err" </dev/null || H_RC=$?
  H_ERR=$(cat "$CG_TMP/health.err")
  note "exit $H_RC; stderr: $H_ERR"
}

case_health_wildcard_admin_with_token_then_down() {
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  openssl rand -hex 32 >"$CG_TMP/admin.token"
  # The admin listener on every interface with a token: /healthz needs no token, and health asks the
  # loopback for a wildcard address.
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "0.0.0.0:$CG_ADMIN" \
    --admin-token-file "$CG_TMP/admin.token"
  run_health --admin "0.0.0.0:$CG_ADMIN"
  assert_eq 0 "$H_RC" "health against a running certgate (admin 0.0.0.0, token set)"
  assert_eq "" "$H_ERR" "stderr of a healthy check"
  run_health --admin "127.0.0.1:$CG_ADMIN"
  assert_eq 0 "$H_RC" "health with the loopback address"
  cg_stop "$CG_PID"
  run_health --admin "127.0.0.1:$CG_ADMIN"
  assert_eq 1 "$H_RC" "health after certgate stopped"
  assert_match "$H_ERR" "^certgate: error: connect to 127\.0\.0\.1:$CG_ADMIN: .*refused" "the reason"
}

case_health_without_admin_fails() {
  std_certs "$CG_TMP/certs"
  run_health
  assert_eq 1 "$H_RC" "health with no --admin"
  assert_match "$H_ERR" "no admin listener configured \(--admin\)" "the reason"
}

case_health_other_status_fails() {
  std_certs "$CG_TMP/certs"
  local port; port=$(free_port)
  # An HTTP server that answers 503 to everything, standing in for an unhealthy admin listener.
  "$PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port" >>"$CG_TMP/fake.log" 2>&1 &
  _register_aux $!
  wait_port "$port" 10 $! || fail "fake admin server did not start"
  run_health --admin "127.0.0.1:$port"
  assert_eq 1 "$H_RC" "health when /healthz answers 503"
  assert_match "$H_ERR" "GET /healthz on 127\.0\.0\.1:$port answered 503" "the reason"
}

# The admin listener on a non-loopback address with no token: the probes answer, /metrics and POST /reload
# are refused (403) with one warning in the log; --admin-insecure serves them.
case_admin_exposed_without_token() {
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "0.0.0.0:$CG_ADMIN"
  assert_eq 200 "$(admin_status /healthz)" "/healthz, exposed without a token"
  assert_eq 200 "$(admin_status /readyz)" "/readyz, exposed without a token"
  assert_eq 403 "$(admin_status /metrics)" "/metrics, exposed without a token"
  assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "http://127.0.0.1:$CG_ADMIN/reload")" \
    "POST /reload, exposed without a token"
  assert_match "$(curl -s --max-time 10 "http://127.0.0.1:$CG_ADMIN/metrics")" "admin-token-file" "403 body names the fix"
  assert_eq 1 "$(grep -c 'has no --admin-token-file' "$CG_LOG")" "warnings in the log"
  cg_stop "$CG_PID"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "0.0.0.0:$CG_ADMIN" --admin-insecure
  assert_eq 200 "$(admin_status /metrics)" "/metrics with --admin-insecure"
  assert_eq 0 "$(grep -c 'has no --admin-token-file' "$CG_LOG")" "warnings with --admin-insecure"
  cg_stop "$CG_PID"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN"
  assert_eq 200 "$(admin_status /metrics)" "/metrics on the loopback without a token"
}

run_cases "$@"
