#!/usr/bin/env bash
# Bad peers at run time: each one only ends its own connection; the process and other clients are unaffected,
# and the connection is released (certgate_connections_active returns to 0).
source "$(dirname "$0")/lib.sh"

g_start() {
  admin_init
  std_start "$@"
}

# healthy AFTER_WHAT : process alive, a normal request works, no connection left behind.
healthy() {
  assert_cg_alive "$1"
  assert_hello alpha.test
  wait_for 5 metric_is certgate_connections_active "" 0 \
    || fail "certgate_connections_active after $1: expected 0, got $(metric certgate_connections_active)"
  note "ok: no connection left behind after $1"
}

case_random_bytes() {
  g_start
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind random --expect-close 10 \
    || fail "the proxy did not close a connection that sent 4 KiB of random bytes within 10 s"
  healthy "random bytes"
}

case_plain_http_to_tls_port() {
  g_start
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind http --expect-close 10 \
    || fail "the proxy did not close a plain-HTTP connection within 10 s"
  local rc=0
  curl -sS --max-time 10 "http://127.0.0.1:$CG_PORT/hello" >"$CG_TMP/curl.out" 2>&1 || rc=$?
  assert_ne 0 "$rc" "curl status for plain http:// to the TLS port"
  assert_ne 28 "$rc" "curl status for plain http:// to the TLS port (28 = hung until timeout)"
  healthy "plain HTTP"
}

case_partial_client_hello_then_vanish() {
  g_start
  local i
  for i in 1 2 3 4 5; do
    "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind partial || fail "partial ClientHello client $i"
  done
  healthy "5 clients that vanished mid-handshake"
}

case_handshake_one_byte_at_a_time() {
  g_start
  "$PY" "$CLIENT_PY" trickle --port "$CG_PORT" --ca "$CG_PKI/ca.crt" || fail "handshake sent byte by byte (see above)"
  healthy "a byte-by-byte handshake"
}

case_silent_clients_do_not_block_others() {
  g_start
  # Five TCP connections that never send a byte, held open while others are served.
  exec 41<>"/dev/tcp/127.0.0.1/$CG_PORT" 42<>"/dev/tcp/127.0.0.1/$CG_PORT" 43<>"/dev/tcp/127.0.0.1/$CG_PORT" \
       44<>"/dev/tcp/127.0.0.1/$CG_PORT" 45<>"/dev/tcp/127.0.0.1/$CG_PORT"
  local i t0 out
  t0=$(now_ms)
  for i in $(seq 1 20); do
    out=$(https alpha.test "/echo?msg=s$i" --max-time 5) || fail "request $i while silent clients are connected"
    [ "$out" = "echo s$i" ] || fail "request $i: expected [echo s$i], got [$out]"
  done
  note "ok: 20 requests answered in $(( $(now_ms) - t0 )) ms while 5 silent clients are connected"
  assert_le "$(( $(now_ms) - t0 ))" 10000 "milliseconds for 20 requests"
  exec 41>&- 42>&- 43>&- 44>&- 45>&-
  healthy "silent clients"
}

case_handshake_timeout_drops_silent_client() {
  g_start --handshake-timeout 1s
  local t0 ms
  t0=$(now_ms)
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind silent --expect-close 6 \
    || fail "a client that sends nothing was not dropped within 6 s (--handshake-timeout 1s)"
  ms=$(( $(now_ms) - t0 ))
  [ "$ms" -ge 700 ] || fail "silent client dropped after $ms ms, before the 1 s handshake timeout"
  note "ok: silent client dropped after $ms ms"
  healthy "a handshake timeout"
}

case_client_vanishes_mid_download() {
  g_start
  "$PY" - "$CG_PORT" "$CG_PKI/ca.crt" <<'EOF' || fail "could not start the download"
import socket, ssl, struct, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="alpha.test")
s.sendall(b"GET /big?mib=64 HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
got = 0
while got < (1 << 20):
    got += len(s.recv(65536))
# Abort hard (RST) in the middle of the 64 MiB response.
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("read %d bytes, then reset the connection" % got)
EOF
  healthy "a client that reset in the middle of a download"
}

case_upstream_refusing() {
  admin_init
  UP_PORT=$(free_port)   # nothing listens here yet
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN" --connect-timeout 2s
  local rc=0 t0 ms
  t0=$(now_ms)
  https alpha.test /hello --max-time 10 >"$CG_TMP/curl.out" 2>&1 || rc=$?
  ms=$(( $(now_ms) - t0 ))
  note "curl: status $rc after $ms ms: $(cat "$CG_TMP/curl.out")"
  assert_ne 0 "$rc" "curl status with the upstream refusing"
  assert_ne 28 "$rc" "curl status with the upstream refusing (28 = hung until timeout)"
  assert_le "$ms" 5000 "milliseconds until the connection was closed"
  assert_cg_alive "a refused upstream connection"
  wait_for 5 metric_is certgate_connections_active "" 0 \
    || fail "certgate_connections_active after a refused upstream: expected 0, got $(metric certgate_connections_active)"
  # Now the upstream comes up on that port; the next request goes through.
  up_start http
  assert_hello alpha.test
}

case_upstream_connect_timeout() {
  admin_init
  std_certs "$CG_TMP/certs"
  UP_PORT=$(free_port)
  "$PY" "$UPSTREAM_PY" blackhole --port "$UP_PORT" >"$CG_TMP/blackhole.log" 2>&1 &
  _register_aux $!
  wait_for 5 grep -q blackhole "$CG_TMP/blackhole.log" || fail "blackhole upstream did not start"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN" --connect-timeout 1s
  local rc=0 t0 ms
  t0=$(now_ms)
  https alpha.test /hello --max-time 15 >"$CG_TMP/curl.out" 2>&1 || rc=$?
  ms=$(( $(now_ms) - t0 ))
  note "curl: status $rc after $ms ms: $(cat "$CG_TMP/curl.out")"
  assert_ne 0 "$rc" "curl status with an upstream that never answers the connect"
  assert_ne 28 "$rc" "curl status (28 = nothing happened within 15 s)"
  [ "$ms" -ge 800 ] || fail "connection closed after $ms ms, before the 1 s connect timeout could expire"
  assert_le "$ms" 4000 "milliseconds until the connection was closed (--connect-timeout 1s)"
  assert_cg_alive "an upstream connect timeout"
  wait_for 5 metric_is certgate_connections_active "" 0 \
    || fail "certgate_connections_active after a connect timeout: expected 0, got $(metric certgate_connections_active)"
}

case_upstream_resets_mid_response() {
  admin_init
  up_start raw
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN"
  "$PY" - "$CG_PORT" "$CG_PKI/ca.crt" <<'EOF' || fail "the client did not see the connection end after the upstream reset it"
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="alpha.test")
s.settimeout(10)
s.sendall(b"RESET r1\n")
got, how, t0 = 0, "?", time.time()
try:
    while True:
        d = s.recv(65536)
        if not d:
            how = "close_notify"
            break
        got += len(d)
except ssl.SSLEOFError:
    how = "eof"
except (ConnectionResetError, ssl.SSLError) as e:
    how = "error %s" % e
except socket.timeout:
    print("connection still open 10 s after the upstream reset it (%d bytes read)" % got)
    sys.exit(1)
print("connection ended (%s) after %d bytes, %.2f s" % (how, got, time.time() - t0))
EOF
  healthy "an upstream reset"
}

run_cases "$@"
