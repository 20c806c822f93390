#!/usr/bin/env bash
# --access-log text|json: one line per connection (per request with --forward-headers), written by the
# workers through a buffer (a flush every 250 ms, never a write per line), O_APPEND to
# --access-log-file, reopened on SIGHUP, flushed on SIGTERM; never a secret.
# case-timeout: 120
source "$(dirname "$0")/lib.sh"

# The access log file of a case ($CG_TMP is per case).
al_file() { echo "$CG_TMP/access.log"; }

# al_lines : the access log without the lines of the harness's port probes (wait_port connects and
# closes without a ClientHello: a line with no SNI, no byte and close_detail=closed_in_handshake).
al_lines() { grep -vE '(close_detail=|"close_detail":")closed_in_handshake' "$(al_file)" 2>/dev/null || true; }
# al_count : lines in the access log so far, probes left out (0 when it does not exist yet).
al_count() { al_lines | grep -c . || true; }
_al_at_least() { [ "$(al_count)" -ge "$1" ]; }
# al_wait N [SECONDS] : wait until the access log has N lines (default bound 2 s: 8 flush intervals).
al_wait() { wait_for "${2:-2}" _al_at_least "$1" || fail "access log: expected $1 line(s) within ${2:-2} s, got $(al_count): $(cat "$(al_file)" 2>/dev/null)"; }
# al_line N : line N of the access log.
al_line() { al_lines | sed -n "${1}p"; }
# json_field LINE KEY : the JSON value of KEY in LINE (python repr-free: strings bare, null as null).
json_field() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print("null" if v is None else str(v).lower() if isinstance(v,bool) else v)' "$1" "$2"; }

case_text_line_for_a_plain_request() {
  std_start --access-log text --access-log-file "$(al_file)"
  local t0 out line
  out=$(https alpha.test '/hello?token=s3cr3t-query' -H 'Authorization: Bearer s3cr3t-header' -H 'Cookie: sid=s3cr3t-cookie')
  assert_eq "hello from upstream" "$out" "GET /hello"
  t0=$(now_ms)
  al_wait 1
  local waited=$(( $(now_ms) - t0 ))
  note "the line appeared $waited ms after the response (flush interval 250 ms)"
  assert_le "$waited" 1000 "ms until the line was in the file (4 flush intervals, for a busy machine)"
  line=$(al_line 1)
  note "line: $line"
  assert_match "$line" '^ts=20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z conn=[0-9]+ ' "timestamp and connection id first"
  assert_match "$line" ' client=127\.0\.0\.1 client_port=[0-9]+ ' "client address and port"
  assert_contains "$line" " sni=alpha.test cert=alpha tls=TLSv1.3 cipher=TLS_" "SNI, certificate, TLS version, cipher"
  assert_contains "$line" " resumed=false " "not resumed"
  assert_match "$line" ' bytes_in=[1-9][0-9]* bytes_out=[1-9][0-9]* duration_ms=[0-9]+\.[0-9]{3} connect_ms=[0-9]+\.[0-9]{3} close=client_close$' \
    "bytes, duration, connect time, close reason"
  assert_not_contains "$(cat "$(al_file)")" "s3cr3t" "access log (no query string, header or cookie)"
  assert_eq 1 "$(al_count)" "one line for one connection"
}

case_json_line_for_a_plain_request() {
  std_start --access-log json --access-log-file "$(al_file)"
  https alpha.test /hello >/dev/null
  al_wait 1
  local line; line=$(al_line 1)
  note "line: $line"
  "$PY" -c 'import json,sys; json.loads(sys.argv[1])' "$line" || fail "not one JSON object: $line"
  assert_eq alpha.test "$(json_field "$line" sni)" "sni"
  assert_eq alpha "$(json_field "$line" cert)" "cert"
  assert_eq TLSv1.3 "$(json_field "$line" tls)" "tls"
  assert_eq false "$(json_field "$line" resumed)" "resumed"
  assert_eq 127.0.0.1 "$(json_field "$line" client)" "client"
  assert_eq null "$(json_field "$line" client_subject)" "client_subject without a client certificate"
  assert_eq client_close "$(json_field "$line" close)" "close"
  assert_match "$(json_field "$line" bytes_out)" '^[1-9][0-9]*$' "bytes_out"
  assert_match "$(json_field "$line" connect_ms)" '^[0-9]+\.[0-9]+$' "connect_ms"
}

case_resumed_connection() {
  std_start --access-log text --access-log-file "$(al_file)"
  local out
  out=$( (sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_3 \
    -sess_out "$CG_TMP/s.sess" 2>&1) || fail "first handshake: $(echo "$out" | tail -n 3)"
  out=$( (sleep 0.3) | timeout 10 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -tls1_3 \
    -sess_in "$CG_TMP/s.sess" 2>&1) || fail "second handshake: $(echo "$out" | tail -n 3)"
  assert_match "$out" '^Reused, TLSv1\.3' "s_client resumed"
  al_wait 2
  assert_contains "$(al_line 1)" " resumed=false " "first connection: full handshake"
  assert_contains "$(al_line 2)" " resumed=true " "second connection: resumed"
  assert_contains "$(al_line 2)" " sni=alpha.test cert=alpha " "resumed connection: SNI and certificate"
}

case_mtls_subject_and_refused_handshake() {
  MT="$CG_TMP/mt"; mtls_pki "$MT" || fail "client PKI"
  cp "$MT/caA.crt" "$MT/clientca.pem"
  std_start --access-log json --access-log-file "$(al_file)" --client-ca "$MT/clientca.pem" --client-auth require
  assert_eq 200 "$(status A)" "request with client A's certificate"
  assert_eq 000 "$(status B)" "client B (untrusted CA) is refused"
  al_wait 2
  local ok refused
  ok=$(grep -F '"client_subject":"CN=client-A"' "$(al_file)") || fail "no line with client A's subject: $(cat "$(al_file)")"
  assert_eq client_close "$(json_field "$ok" close)" "verified client: close"
  refused=$(grep -F '"close":"error"' "$(al_file)") || fail "no line for the refused handshake: $(cat "$(al_file)")"
  note "refused: $refused"
  assert_eq null "$(json_field "$refused" tls)" "refused handshake: no TLS version"
  assert_eq null "$(json_field "$refused" client_subject)" "refused handshake: no subject"
  assert_match "$(json_field "$refused" close_detail)" '^client_cert_' "refused handshake: the failure reason"
}

case_strict_sni_refusal_in_text() {
  std_start --access-log text --access-log-file "$(al_file)" --strict-sni
  tls_try "$CG_TMP/t.out" -connect "127.0.0.1:$CG_PORT" -servername 'nobody.invalid' && fail "handshake accepted"
  al_wait 1
  local line; line=$(al_line 1)
  note "line: $line"
  assert_contains "$line" " sni=nobody.invalid " "the SNI name sent"
  assert_match "$line" ' close=error close_detail=[a-z_]+$' "close reason and detail"
  assert_not_contains "$line" " tls=" "no TLS version for a refused handshake"
}

case_hostile_sni_stays_on_one_line() {
  std_start --access-log text --access-log-file "$(al_file)"
  # An SNI name with a quote, a space and '=' (certgate refuses it, after noting it) must stay one field.
  tls_try "$CG_TMP/t.out" -connect "127.0.0.1:$CG_PORT" -servername 'a" b=c' || true
  https alpha.test /hello >/dev/null
  al_wait 2
  assert_eq 2 "$(al_count)" "two lines, one per connection"
  note "$(cat "$(al_file)")"
  "$PY" - "$(al_file)" <<'PY' || fail "a line does not split into key=value pairs"
import shlex, sys
for line in open(sys.argv[1]):
    for field in shlex.split(line):
        assert "=" in field, field
PY
}

case_forward_headers_lines_per_request() {
  std_start --access-log json --access-log-file "$(al_file)" --forward-headers
  # Two requests on one keep-alive connection (curl reuses it for the same host).
  curl -sS --max-time 30 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" -o /dev/null -o /dev/null \
    -H 'Authorization: Bearer s3cr3t-header' "https://alpha.test:$CG_PORT/hello?x=s3cr3t-query" \
    "https://alpha.test:$CG_PORT/nope" || fail "curl"
  al_wait 3
  note "$(cat "$(al_file)")"
  local first second last
  first=$(al_line 1); second=$(al_line 2); last=$(al_line 3)
  assert_eq 1 "$(json_field "$first" request)" "first line: request 1"
  assert_eq GET "$(json_field "$first" method)" "method"
  assert_eq /hello "$(json_field "$first" path)" "path without the query string"
  assert_eq 200 "$(json_field "$first" status)" "status"
  assert_match "$(json_field "$first" request_head_bytes)" '^[1-9][0-9]*$' "request head bytes"
  assert_eq null "$(json_field "$first" close)" "no close reason on a request's line"
  assert_eq null "$(json_field "$first" bytes_in)" "no connection totals on a request's line"
  assert_eq 2 "$(json_field "$second" request)" "second line: request 2"
  assert_eq /nope "$(json_field "$second" path)" "second path"
  assert_eq 404 "$(json_field "$second" status)" "second status"
  assert_eq "$(json_field "$first" conn)" "$(json_field "$second" conn)" "both requests on one connection"
  assert_eq "$(json_field "$first" conn)" "$(json_field "$last" conn)" "then the connection's line"
  "$PY" -c 'import json,sys; assert "request" not in json.loads(sys.argv[1])' "$last" || fail "the connection's line has request fields"
  assert_eq client_close "$(json_field "$last" close)" "the close reason on the connection's line"
  assert_not_contains "$(cat "$(al_file)")" "s3cr3t" "access log"
}

case_http2_lines_per_stream() {
  # Terminated h2: each stream is a request and gets its line (as with --forward-headers over HTTP/1.1),
  # then the connection's line.
  std_start --access-log json --access-log-file "$(al_file)" --alpn h2,http/1.1
  local out
  out=$(curl -sS --http2 --max-time 30 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" \
    -o /dev/null -o /dev/null -w '%{http_version} %{http_code}\n' \
    -H 'Authorization: Bearer s3cr3t-header' "https://alpha.test:$CG_PORT/hello?x=s3cr3t-query" \
    "https://alpha.test:$CG_PORT/nope") || fail "curl"
  assert_eq "$(printf '2 200\n2 404')" "$out" "two h2 requests"
  al_wait 3
  note "$(cat "$(al_file)")"
  local first second last
  first=$(al_line 1); second=$(al_line 2); last=$(al_line 3)
  assert_eq h2 "$(json_field "$first" alpn)" "alpn"
  assert_eq 1 "$(json_field "$first" request)" "first line: request 1"
  assert_eq GET "$(json_field "$first" method)" "method"
  assert_eq /hello "$(json_field "$first" path)" "path without the query string"
  assert_eq 200 "$(json_field "$first" status)" "status"
  assert_match "$(json_field "$first" duration_ms)" '^[0-9]+\.[0-9]+$' "the stream's duration"
  assert_eq null "$(json_field "$first" close)" "no close reason on a request's line"
  assert_eq 2 "$(json_field "$second" request)" "second line: request 2"
  assert_eq /nope "$(json_field "$second" path)" "second path"
  assert_eq 404 "$(json_field "$second" status)" "second status"
  assert_eq "$(json_field "$first" conn)" "$(json_field "$second" conn)" "both streams on one connection"
  assert_eq "$(json_field "$first" conn)" "$(json_field "$last" conn)" "then the connection's line"
  "$PY" -c 'import json,sys; assert "request" not in json.loads(sys.argv[1])' "$last" || fail "the connection's line has request fields"
  assert_eq h2 "$(json_field "$last" alpn)" "alpn on the connection's line"
  assert_eq client_close "$(json_field "$last" close)" "the close reason on the connection's line"
  assert_match "$(json_field "$last" bytes_in)" '^[1-9][0-9]*$' "bytes from the client"
  assert_match "$(json_field "$last" bytes_out)" '^[1-9][0-9]*$' "bytes to the client"
  assert_eq 3 "$(al_count)" "two stream lines and one connection line"
  assert_not_contains "$(cat "$(al_file)")" "s3cr3t" "access log"
}

case_forward_headers_refused_request_line() {
  std_start --access-log text --access-log-file "$(al_file)" --forward-headers
  local code
  # Two Content-Length fields that disagree: certgate refuses the request itself (400).
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$CG_PKI/ca.crt" \
    --resolve "alpha.test:$CG_PORT:127.0.0.1" -H 'Content-Length: 1' -H 'Content-Length: 2' -d x \
    "https://alpha.test:$CG_PORT/upload") || true
  assert_eq 400 "$code" "certgate's own answer"
  al_wait 2
  note "$(cat "$(al_file)")"
  assert_match "$(al_line 1)" ' request=1 status=400$' "the refused request's line (no method, path or duration)"
  assert_match "$(al_line 2)" ' close=[a-z_]+( close_detail=[a-z_]+)?$' "then the connection's line"
}

case_sigterm_flushes_the_tail() {
  std_start --access-log text --access-log-file "$(al_file)"
  local i
  for i in 1 2 3; do https alpha.test /hello >/dev/null; done
  # Straight away: the lines are still in the worker's buffer (the flush timer is 250 ms).
  cg_stop
  assert_eq 3 "$(al_count)" "every line written by the time certgate exited"
}

case_sigterm_logs_the_connections_the_drain_closes() {
  std_start --access-log json --access-log-file "$(al_file)" --drain-timeout 1s --forward-headers
  # One keep-alive connection that never ends on its own: the drain closes it when its timeout is over,
  # and its lines (its last requests, then close=drain) are made only then, after every flush timer.
  ka_start one
  wait_for 5 _ka_past one 5 || fail "keep-alive connection: no requests"
  local pid=$CG_PID
  cg_signal_wait "$pid" TERM 10
  _cg_forget "$pid"
  assert_eq 0 "$SIG_STATUS" "exit status after the drain"
  touch "$CG_TMP/ka.stop"
  local last
  last=$(al_line "$(al_count)")
  note "last line: $last"
  assert_eq drain "$(json_field "$last" close)" "the drained connection's line, written before exit"
  assert_ge "$(grep -c '"request":' "$(al_file)")" 5 "its request lines"
}

case_sighup_reopens_the_file_for_logrotate() {
  std_start --access-log text --access-log-file "$(al_file)"
  https alpha.test /hello >/dev/null
  al_wait 1
  mv "$(al_file)" "$(al_file).1"
  kill -HUP "$CG_PID"
  wait_for 5 test -f "$(al_file)" || fail "the access log file was not created again after SIGHUP"
  https alpha.test /hello >/dev/null
  al_wait 1
  assert_eq 1 "$(grep -vc closed_in_handshake "$(al_file).1")" "the rotated file keeps its line"
  assert_eq 1 "$(al_count)" "the new file gets the next line"
}

case_live_reload_turns_it_on() {
  up_start http
  std_certs "$CG_TMP/certs"
  printf 'access-log: off\naccess-log-file: %s\n' "$(al_file)" > "$CG_TMP/c.yaml"
  cg_start --config "$CG_TMP/c.yaml" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  https alpha.test /hello >/dev/null
  sleep 0.6
  assert_eq 0 "$(al_count)" "no line while off"
  printf 'access-log: json\naccess-log-file: %s\n' "$(al_file)" > "$CG_TMP/c.yaml"
  kill -HUP "$CG_PID"
  wait_for 5 grep -q 'configuration reloaded' "$CG_LOG" || fail "no reload: $(tail -n 3 "$CG_LOG")"
  https alpha.test /hello >/dev/null
  al_wait 1
  assert_match "$(al_line 1)" '^\{"ts":' "a JSON line after the reload"
}

case_no_write_per_line() {
  command -v strace >/dev/null || skip "strace is not installed: cannot count write(2) calls"
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  strace -f -qq -e trace=write -e signal=none -s 8 -o "$CG_TMP/strace.out" \
    "$CG_BIN" run --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" \
    --access-log text --access-log-file "$(al_file)" --workers 2 >"$CG_TMP/certgate-strace.log" 2>&1 &
  local pid=$! n=100
  _register_aux "$pid"
  wait_port "$CG_PORT" 30 "$pid" || fail "certgate under strace did not start"
  # New connections from 4 threads for 8 s (hundreds, even under strace on a busy machine).
  "$PY" "$CLIENT_PY" churn --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --threads 4 \
    --stopfile "$CG_TMP/stop" --max-seconds 8 >"$CG_TMP/churn.out" 2>&1 || fail "churn: $(tail -n 3 "$CG_TMP/churn.out")"
  note "churn: $(head -n 1 "$CG_TMP/churn.out")"
  # SIGTERM to certgate itself (strace would only detach).
  kill -TERM "$(pgrep -P "$pid" | head -n 1)"
  wait_for 20 _pid_gone "$pid" || fail "certgate under strace did not stop"
  local lines writes
  lines=$(al_count)
  writes=$(grep -c 'write([0-9]*, "ts=' "$CG_TMP/strace.out" || true)
  note "$lines access log lines, $writes write(2) calls that carried them"
  assert_ge "$lines" "$n" "a line per connection"
  [ "$writes" -ge 1 ] || fail "no write(2) of access log lines seen in strace output"
  [ $((writes * 10)) -le "$lines" ] || fail "$writes writes for $lines lines: not batched (want 10+ lines per write)"
}

run_cases "$@"
