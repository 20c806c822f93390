#!/usr/bin/env bash
# HTTP/2 termination (--alpn h2,http/1.1 with --upstream-protocol http1, the default): certgate speaks
# HTTP/2 to the client and HTTP/1.1 to the upstream, through a per-worker pool of keep-alive upstream
# connections. GET and POST (sized and chunked bodies) arrive intact with certgate's X-Forwarded-* fields
# and never the client's; many concurrent streams over few connections all succeed; a large response
# arrives intact; a dead upstream gives 502 on the stream; a drain sends GOAWAY and the stream in flight
# still finishes, and so does a reload of the client CAs; a request that meets a kept-alive upstream
# connection the upstream just closed is retried once; a client that stops reading is closed by
# --idle-timeout. Frame-level attack and conformance tests live elsewhere (h2 conformance suite).
#
# Upstreams: http_upstream.py (answers each request with a JSON body holding the raw head it received,
# logs to $UP_LOG) and upstream.py http (/big?mib=N, /hello).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/http_lib.sh"

H2_DRAIN_CLIENT_PY="$IT_DIR/h2_drain_client.py"

# h2 PATH [curl args] : curl --http2 through certgate; the JSON body, then a line "<http_version> <status>".
h2() {
  local path=$1; shift
  https alpha.test "$path" --http2 -w '\n%{http_version} %{http_code}' "$@"
}

# h2_start [certgate args] : http_upstream.py + certgate offering h2 (admin on).
h2_start() {
  fh_up_start
  fh_cg --alpn h2,http/1.1 "$@"
}

case_get_and_post_over_h2_reach_the_http1_upstream() {
  h2_start
  local out body
  out=$(h2 /get -H 'Accept: text/plain')
  assert_eq "2 200" "$(tail -n 1 <<<"$out")" "GET: HTTP version and status"
  body=$(head -n 1 <<<"$out")
  note "upstream saw: $(q "$body" "r['head']")"
  assert_match "$(q "$body" "r['head']")" '^GET /get HTTP/1.1' "request line sent upstream"
  assert_eq "alpha.test:$CG_PORT" "$(field_values "$(q "$body" "r['head']")" host)" "Host from :authority"
  assert_eq "text/plain" "$(field_values "$(q "$body" "r['head']")" accept)" "the client's Accept field"
  assert_forwarded "$body" "r['head']" "GET over h2"

  head -c 300000 /dev/urandom > "$CG_TMP/up.bin"
  local sum; sum=$(sha256sum < "$CG_TMP/up.bin" | cut -d' ' -f1)
  out=$(h2 /post --data-binary @"$CG_TMP/up.bin")
  assert_eq "2 200" "$(tail -n 1 <<<"$out")" "POST with Content-Length"
  body=$(head -n 1 <<<"$out")
  assert_eq "300000 $sum false" "$(q "$body" "'%d %s %s' % (r['body_len'], r['body_sha256'], str(r['chunked']).lower())")" "POST body (sized)"
  # No length from the client (stdin upload): the upstream gets it chunked.
  out=$(h2 /chunked -T - < "$CG_TMP/up.bin")
  assert_eq "2 200" "$(tail -n 1 <<<"$out")" "upload without a length"
  body=$(head -n 1 <<<"$out")
  assert_eq "300000 $sum true" "$(q "$body" "'%d %s %s' % (r['body_len'], r['body_sha256'], str(r['chunked']).lower())")" "upload body (chunked upstream)"
  # HTTP/1.1 clients are served as before on the same listener (without --forward-headers: untouched).
  out=$(https alpha.test /h1 --http1.1 -H 'X-Forwarded-For: 6.6.6.6' -w '\n%{http_version}')
  assert_eq 1.1 "$(tail -n 1 <<<"$out")" "an HTTP/1.1 client"
  assert_eq 1 "$(metric certgate_connections_by_protocol_total 'protocol="http1"')" "connections by protocol: http1"
  assert_eq 3 "$(metric certgate_connections_by_protocol_total 'protocol="h2"')" "connections by protocol: h2"
  assert_eq 3 "$(metric certgate_http2_requests_total 'result="forwarded"')" "h2 requests forwarded"
}

# The spoof of issue 16 with h2 agreed: the client's X-Forwarded-* and XFCC never reach the upstream,
# certgate's values do (XFCC from the verified client certificate), with and without --forward-headers.
case_h2_client_cannot_spoof_identity_headers() {
  local d="$CG_TMP/client"
  mkdir -p "$d"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl.key" -out "$d/cl.csr" \
    -subj "/O=Example Org/CN=h2-client" 2>/dev/null || fail "client key"
  printf 'extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://example.org/h2\n' > "$d/ext"
  openssl x509 -req -in "$d/cl.csr" -CA "$CG_PKI/ca.crt" -CAkey "$CG_PKI/ca.key" -set_serial 0x4343 -days 5 \
    -extfile "$d/ext" -out "$d/cl.crt" 2>/dev/null || fail "client certificate"
  local hash subject xfcc
  hash=$(openssl x509 -in "$d/cl.crt" -outform DER | sha256sum | cut -d' ' -f1)
  subject=$(openssl x509 -in "$d/cl.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  xfcc="Hash=$hash;Subject=\"$subject\";URI=spiffe://example.org/h2"
  local spoof=(-H 'X-Forwarded-Client-Cert: By=spoofed;URI=spiffe://admin' -H 'X-Forwarded-For: 6.6.6.6'
    -H 'x_forwarded_port: 1' -H 'X-Forwarded-Proto: http')
  local flags out
  fh_up_start
  for flags in "" "--forward-headers"; do
    CG_PORT=""
    # shellcheck disable=SC2086
    fh_cg --alpn h2,http/1.1 --client-ca "$CG_PKI/ca.crt" --client-auth optional $flags
    out=$(h2 /spoof "${spoof[@]}" --cert "$d/cl.crt" --key "$d/cl.key")
    assert_eq "2 200" "$(tail -n 1 <<<"$out")" "h2 with a client certificate ($flags)"
    assert_forwarded "$(head -n 1 <<<"$out")" "r['head']" "forged fields with a certificate ($flags)" "$xfcc"
    out=$(h2 /spoof "${spoof[@]}")
    assert_forwarded "$(head -n 1 <<<"$out")" "r['head']" "forged fields without a certificate ($flags)"
    out=$(nghttp -n --no-verify-peer -H 'x-forwarded-client-cert: By=spoofed' -H 'x-forwarded-for: 6.6.6.6' \
      "https://127.0.0.1:$CG_PORT/nghttp" 2>&1) || fail "nghttp: $out"
    cg_stop
  done
  assert_eq 6 "$(uplog 'len([e for e in E if e["event"] == "request"])')" "requests that reached the upstream"
  assert_not_contains "$(cat "$UP_LOG")" "spoofed" "upstream log (forged XFCC)"
  assert_not_contains "$(cat "$UP_LOG")" "6.6.6.6" "upstream log (forged X-Forwarded-For)"
}

case_many_concurrent_streams_over_the_pool() {
  h2_start
  local out
  out=$(h2load -n 1000 -c 4 -m 10 "https://127.0.0.1:$CG_PORT/load" 2>&1)
  note "$(grep -E '^(requests|status codes):' <<<"$out")"
  assert_contains "$out" "1000 succeeded, 0 failed, 0 errored, 0 timeout" "h2load -n 1000 -c 4 -m 10"
  assert_contains "$out" "status codes: 1000 2xx" "h2load statuses"
  assert_eq 1000 "$(metric certgate_http2_requests_total 'result="forwarded"')" "h2 requests forwarded"
  assert_eq 1000 "$(uplog 'len([e for e in E if e["event"] == "request"])')" "requests at the upstream"
  # At most one request in flight per upstream connection, 40 streams in flight at most: the pool opened
  # no more than 40 connections and reused them for the rest.
  local conns; conns=$(uplog 'len(set(e["conn"] for e in E if e["event"] == "request"))')
  note "upstream connections used: $conns; pool: $(metric certgate_upstream_pool_connects_total) connects, $(metric certgate_upstream_pool_reuses_total) reuses"
  assert_le "$conns" 40 "upstream connections"
  assert_eq "$conns" "$(metric certgate_upstream_pool_connects_total)" "pool connects"
  assert_eq "$((1000 - conns))" "$(metric certgate_upstream_pool_reuses_total)" "pool reuses"
}

case_large_response_arrives_intact() {
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1
  local want got
  want=$("$PY" "$UPSTREAM_PY" gen 8 | sha256sum | cut -d' ' -f1)
  got=$(https alpha.test "/big?mib=8" --http2 -o "$CG_TMP/big.bin" -w '%{http_version} %{size_download}')
  assert_eq "2 $((8 * 1024 * 1024))" "$got" "HTTP version and bytes of /big?mib=8"
  assert_eq "$want" "$(sha256sum < "$CG_TMP/big.bin" | cut -d' ' -f1)" "sha256 of 8 MiB over h2"
  # Three large responses interleaved on one connection (flow control per stream).
  out=$(nghttp -n --no-verify-peer -s "https://127.0.0.1:$CG_PORT/big?mib=3" "https://127.0.0.1:$CG_PORT/big?mib=2" \
    "https://127.0.0.1:$CG_PORT/big?mib=4" 2>&1) || fail "nghttp: $out"
  assert_eq 3 "$(grep -cE ' 200 ' <<<"$out")" "three parallel downloads: statuses ($out)"
}

case_dead_upstream_is_502_on_the_stream() {
  UP_PORT=$(free_port)
  std_certs "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 --admin "127.0.0.1:$CG_ADMIN"
  local out
  out=$(h2 /dead)
  assert_eq "2 502" "$(tail -n 1 <<<"$out")" "h2 request to a dead upstream"
  assert_eq 1 "$(metric certgate_http2_requests_total 'result="upstream_failed"')" "h2 requests upstream_failed"
  assert_eq 1 "$(metric certgate_upstream_connect_failures_total 'reason="refused"')" "connect failures (refused)"
  # The connection survives a failed stream: three on one connection, all 502.
  out=$(nghttp -n -s --no-verify-peer "https://127.0.0.1:$CG_PORT/a" "https://127.0.0.1:$CG_PORT/b" \
    "https://127.0.0.1:$CG_PORT/c" 2>&1)
  assert_eq 3 "$(grep -cE ' 502 ' <<<"$out")" "three streams on one connection, each 502 ($out)"
  assert_eq 2 "$(metric certgate_connections_by_protocol_total 'protocol="h2"')" "h2 connections"
}

case_drain_sends_goaway_and_the_stream_in_flight_finishes() {
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1
  drain_client_start "/big?mib=4"
  kill -TERM "$CG_PID"
  wait_for 20 _pid_gone "$H2_CLIENT" || fail "the h2 client did not finish within 20 s of SIGTERM"
  local out; out=$(cat "$CG_TMP/drain.json")
  note "client: $out"
  assert_eq "[1, 0]" "$(q "$out" "str(r['goaway'])")" "GOAWAY (last stream 1, NO_ERROR)"
  assert_eq true "$(q "$out" "r['goaway_before_end']")" "GOAWAY came while the stream was in flight"
  assert_eq "$((4 * 1024 * 1024)) true true" "$(q "$out" "'%d %s %s' % (r['bytes'], str(r['ended']).lower(), str(r['eof']).lower())")" "the stream finished, then certgate closed"
  assert_eq "$("$PY" "$UPSTREAM_PY" gen 4 | sha256sum | cut -d' ' -f1)" "$(q "$out" "r['sha256']")" "sha256 of the body"
  wait_for 5 _pid_gone "$CG_PID" || fail "certgate still running after the drain"
  local rc=0; wait "$CG_PID" || rc=$?
  _cg_forget "$CG_PID"
  assert_eq 0 "$rc" "certgate exit status after the drain"
}

# An upstream that closes a kept-alive connection just as the next request arrives (the race every
# keep-alive pool meets): the request, which has no body, is sent again on a new connection, once.
case_request_on_a_connection_the_upstream_closed_is_retried() {
  UP_PORT=$(free_port)
  cat > "$CG_TMP/once.py" <<'PYEOF'
import socket, sys, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(16)
conns = 0
def serve(c, n):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d: return c.close()
        buf += d
    body = b"answer on connection %d\n" % n
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    # Keep-alive promised, but the next request only gets the close.
    c.recv(65536)
    c.close()
while True:
    c, _ = srv.accept(); conns += 1
    threading.Thread(target=serve, args=(c, conns), daemon=True).start()
PYEOF
  "$PY" "$CG_TMP/once.py" "$UP_PORT" >"$CG_TMP/once.log" 2>&1 &
  _register_aux $!
  wait_port "$UP_PORT" 10 $! || fail "the closing upstream did not start"
  std_certs "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 --workers 1 \
    --admin "127.0.0.1:$CG_ADMIN"
  # (wait_port's probe was the upstream's connection 1.)
  local first; first=$(https alpha.test /one --http2)
  assert_match "$first" '^answer on connection [0-9]+$' "first request"
  local n=${first##* }
  # The pooled connection looks alive; the upstream closes it when the next request arrives.
  assert_eq "answer on connection $((n + 1))" "$(https alpha.test /two --http2)" "second request, retried on a new connection"
  assert_eq "answer on connection $((n + 2))" "$(https alpha.test /three --http2)" "third request, retried too"
  assert_eq 3 "$(metric certgate_http2_requests_total 'result="forwarded"')" "forwarded"
  assert_eq 0 "$(metric certgate_http2_requests_total 'result="upstream_failed"')" "no 502"
  assert_eq 3 "$(metric certgate_upstream_pool_connects_total)" "pool connects"
  assert_eq 2 "$(metric certgate_upstream_pool_reuses_total)" "pool reuses (each met the close)"
}

# A client that stops reading: its stalled stream holds a pooled upstream connection until
# --idle-timeout (no bytes moving on either side) closes the client connection, after a GOAWAY, and gives
# it back.
case_stalled_client_is_closed_by_the_idle_timeout() {
  up_start http
  std_certs "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 --idle-timeout 1s \
    --admin "127.0.0.1:$CG_ADMIN"
  local t0; t0=$(now_ms)
  drain_client_start "/big?mib=2"
  wait_for 10 _pid_gone "$H2_CLIENT" || fail "the stalled h2 client was not closed within 10 s"
  local out; out=$(cat "$CG_TMP/drain.json")
  note "client after $(( $(now_ms) - t0 )) ms: $out"
  # A GOAWAY (NO_ERROR) first, then the close: the client learns the connection is going away.
  assert_eq "[1, 0] false true" "$(q "$out" "'%s %s %s' % (r['goaway'], str(r['ended']).lower(), str(r['eof']).lower())")" "GOAWAY, then closed mid-stream"
  assert_eq 1 "$(metric certgate_connections_closed_total 'reason="idle_timeout"')" "closes by idle timeout"
  assert_eq 1 "$(metric certgate_http2_requests_total 'result="reset"')" "the stalled stream"
  assert_eq "hello from upstream" "$(https alpha.test /hello --http2)" "a new client afterwards"
}

# An idle h2 connection (no stream, no frame) gets a GOAWAY (NO_ERROR, last stream 0) from --idle-timeout
# before the close, so a client can tell a deliberate close from a lost connection.
case_idle_connection_gets_goaway_then_close() {
  up_start http
  std_certs "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 --idle-timeout 1s \
    --admin "127.0.0.1:$CG_ADMIN"
  local out
  out=$(timeout 20 "$PY" - "$CG_PORT" "$CG_PKI/ca.crt" <<'PYEOF'
import json, socket, ssl, struct, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.set_alpn_protocols(["h2"])
sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="alpha.test")
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + struct.pack(">I", 0)[1:] + bytes([4, 0]) + struct.pack(">I", 0))
start, buf, frames = time.monotonic(), b"", []
while True:
    try:
        data = sock.recv(65536)
    except (ConnectionError, ssl.SSLError):
        data = b""
    if not data:
        break
    buf += data
    while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
        n, kind = int.from_bytes(buf[:3], "big"), buf[3]
        payload, buf = buf[9:9 + n], buf[9 + n:]
        if kind == 7:
            frames.append(["goaway", struct.unpack(">II", payload[:8])[0] & 0x7FFFFFFF, struct.unpack(">II", payload[:8])[1], round(time.monotonic() - start, 2)])
        else:
            frames.append(kind)
print(json.dumps({"alpn": sock.selected_alpn_protocol(), "frames": frames, "closed_after": round(time.monotonic() - start, 2)}))
PYEOF
  ) || fail "h2 idle client: $out"
  note "$out"
  assert_eq h2 "$(q "$out" "r['alpn']")" "ALPN"
  assert_eq "['goaway', 0, 0]" "$(q "$out" "str([f for f in r['frames'] if isinstance(f, list)][-1][:3])")" "GOAWAY NO_ERROR, last stream 0"
  assert_eq "list" "$(q "$out" "type(r['frames'][-1]).__name__")" "the GOAWAY is the last frame before the close"
  assert_eq 1 "$(q "$out" "int(r['closed_after'] >= 1)")" "closed after the 1 s idle timeout, not before"
  assert_eq 1 "$(metric certgate_connections_closed_total 'reason="idle_timeout"')" "closes by idle timeout"
}

# drain_client_start PATH : the hand-built h2 client (h2_drain_client.py) downloading PATH, stalled after the
# first window, in the background (H2_CLIENT); returns once its download has started.
drain_client_start() {
  "$PY" "$H2_DRAIN_CLIENT_PY" --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --path "$1" --ready "$CG_TMP/ready" \
    >"$CG_TMP/drain.json" 2>"$CG_TMP/drain.err" &
  H2_CLIENT=$!
  _register_aux "$H2_CLIENT"
  wait_for 10 test -f "$CG_TMP/ready" || fail "the h2 download did not start: $(cat "$CG_TMP/drain.err")"
}

# A reload of the client CAs: HTTP/2 connections get GOAWAY (their next requests come on a new connection,
# verified against the new trust); the stream in flight finishes.
case_client_trust_reload_sends_goaway() {
  MT="$CG_TMP/mtls"
  mtls_pki "$MT" || fail "making the client PKI"
  install_ca A
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --alpn h2,http/1.1 \
    --client-ca "$MT/clientca.pem" --client-auth optional
  drain_client_start "/big?mib=2"
  install_ca A B
  kill -HUP "$CG_PID"
  wait_for 20 _pid_gone "$H2_CLIENT" || fail "the h2 client did not finish within 20 s of the reload"
  local out; out=$(cat "$CG_TMP/drain.json")
  note "client: $out"
  assert_eq "[1, 0]" "$(q "$out" "str(r['goaway'])")" "GOAWAY after the client-CA reload"
  assert_eq true "$(q "$out" "r['goaway_before_end']")" "GOAWAY came while the stream was in flight"
  assert_eq "$((2 * 1024 * 1024)) true true" "$(q "$out" "'%d %s %s' % (r['bytes'], str(r['ended']).lower(), str(r['eof']).lower())")" "the stream finished, then certgate closed"
  out=$(https alpha.test /hello --http2 --cert "$MT/clB.crt" --key "$MT/clB.key" -w ' %{http_version}')
  assert_eq "hello from upstream
 2" "$out" "a new h2 connection with a client of the new CA"
}

run_cases "$@"
