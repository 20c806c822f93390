#!/usr/bin/env bash
# --forward-headers and --alpn: every HTTP/1.1 request reaches the upstream with X-Forwarded-For, -Proto,
# -Port (and X-Forwarded-Client-Cert for a verified client certificate), the client's own copies removed;
# smuggling shapes are refused with an HTTP error and a close, after the earlier pipelined requests'
# answers; a protocol upgrade (WebSocket, CONNECT) becomes an opaque tunnel once the upstream switches and
# stays rewritten HTTP when it declines; an unusable upstream gets 502/504; h2 is passed through only to an
# upstream declared h2c, never with --forward-headers (no identity spoofing through HTTP/2 pass-through);
# otherwise it is terminated and rewritten (test_http2.sh has the rest of terminated HTTP/2).
#
# The upstream (http_upstream.py) splits the raw byte stream into requests itself and answers each with
# a JSON body holding the raw head it received and the body's length and sha256; it logs every request
# and every end of connection to $CG_TMP/up.log. http_client.py sends raw bytes over one TLS connection
# (one write per --step, so several requests in a step are pipelined) and prints what came back as JSON.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/http_lib.sh"

HTTP_CLIENT_PY="$IT_DIR/http_client.py"

# fh_start [certgate args] : upstream + std certificates + certgate with admin and --forward-headers.
fh_start() {
  fh_up_start
  fh_cg "$@" --forward-headers
}

# blackhole_start : upstream.py blackhole on $UP_PORT (picked if empty): connects to it time out. (Not
# up_start: probing the port would hang.)
blackhole_start() {
  [ -n "$UP_PORT" ] || UP_PORT=$(free_port)
  "$PY" "$UPSTREAM_PY" blackhole --port "$UP_PORT" >"$CG_TMP/blackhole.log" 2>&1 &
  _register_aux $!
  wait_for 5 grep -q blackhole "$CG_TMP/blackhole.log" || fail "blackhole upstream did not start"
}

# req NAME TEXT : write TEXT (printf %b escapes: \r \n) to $CG_TMP/NAME.req
req() { printf '%b' "$2" > "$CG_TMP/$1.req"; }

# hc [http_client.py args] : one TLS connection to certgate via SNI alpha.test; prints the client's JSON.
hc() { "$PY" "$HTTP_CLIENT_PY" --port "$CG_PORT" --ca "$CG_PKI/ca.crt" "$@" 2>>"$CG_TMP/client.err"; }

_up_eofs_ge() { [ "$(uplog 'len([e for e in E if e["event"] in ("eof", "echo_eof")])')" -ge "$1" ]; }

# wait_up_eofs N : the upstream has seen the end of N connections.
wait_up_eofs() {
  wait_for 10 _up_eofs_ge "$1" || fail "upstream saw the end of $(uplog 'len([e for e in E if e["event"] == "eof"])') connections, expected $1: $(cat "$UP_LOG")"
}

reason_phrase() {
  case $1 in
    400) echo "Bad Request" ;; 431) echo "Request Header Fields Too Large" ;; 501) echo "Not Implemented" ;;
    502) echo "Bad Gateway" ;; 504) echo "Gateway Timeout" ;; 505) echo "HTTP Version Not Supported" ;;
  esac
}

# assert_error_response JSON INDEX STATUS WHAT : response INDEX is certgate's STATUS with Connection: close,
# it is the last one, and the connection was closed by certgate afterwards.
assert_error_response() {
  local out=$1 i=$2 status=$3 what=$4
  assert_eq "HTTP/1.1 $status $(reason_phrase "$status")" "$(q "$out" "r['responses'][$i]['status_line'] if len(r['responses']) > $i else 'no response $i'")" "$what: status line"
  assert_eq close "$(q "$out" "r['responses'][$i]['headers'].get('connection')")" "$what: Connection header"
  assert_eq "$((i + 1))" "$(q "$out" "len(r['responses'])")" "$what: number of responses (the error is the last)"
  assert_eq "" "$(q "$out" "r['trailing']")" "$what: nothing after the error response"
  assert_eq true "$(q "$out" "r['eof']")" "$what: certgate closed the connection (no client timeout)"
}

# ---------------------------------------------------------------------------------------------------
# Headers added and client copies removed

case_adds_forwarded_headers() {
  fh_start
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  local out head
  out=$(https alpha.test /path/x?y=1 --http1.1 -H 'X-Custom: kept as is' -H 'X-Forwarded-Host: not managed')
  head=$(q "$out" "r['head']")
  note "upstream saw: $head"
  assert_eq "GET /path/x?y=1 HTTP/1.1" "$(head -n 1 <<<"$head" | tr -d '\r')" "request line unchanged"
  assert_eq "alpha.test:$CG_PORT" "$(field_values "$head" host)" "Host unchanged"
  assert_eq "kept as is" "$(field_values "$head" x-custom)" "other header unchanged"
  assert_eq "not managed" "$(field_values "$head" x-forwarded-host)" "X-Forwarded-Host (not one of the four) unchanged"
  assert_forwarded "$out" "r['head']" "GET"
  assert_moved certgate_http_requests_total "$CG_TMP/req.before" "certgate_http_requests_total@1"
}

case_strips_client_copies_any_case_and_underscore() {
  fh_start
  local out head
  out=$(https alpha.test / --http1.1 \
    -H 'X-Forwarded-For: 6.6.6.6' -H 'x-forwarded-for: 7.7.7.7' -H 'X_Forwarded_For: 8.8.8.8' \
    -H 'X-FORWARDED-PROTO: http' -H 'x_forwarded_proto: ftp' \
    -H 'X-Forwarded-Port: 1' -H 'X_FORWARDED_PORT: 2' \
    -H 'X-Forwarded-Client-Cert: Hash=evil;Subject="CN=admin"' -H 'x_forwarded_client_cert: Hash=evil2')
  head=$(q "$out" "r['head']")
  note "upstream saw: $head"
  assert_forwarded "$out" "r['head']" "spoofed request"
  assert_not_contains "$head" "6.6.6.6" "head"
  assert_not_contains "$head" "evil" "head"
}

# A client certificate with subject O, OU, CN and a URI and DNS SAN; --client-auth optional, so the same
# listener also serves a client without a certificate (no X-Forwarded-Client-Cert for it).
case_client_cert_header_for_verified_certificate() {
  local d="$CG_TMP/client"
  mkdir -p "$d"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/cl.key" -out "$d/cl.csr" \
    -subj "/O=Example Org/OU=Payments/CN=billing-client" 2>/dev/null || fail "client key"
  printf 'extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://example.org/ns/billing,DNS:billing.example.org\n' > "$d/ext"
  openssl x509 -req -in "$d/cl.csr" -CA "$CG_PKI/ca.crt" -CAkey "$CG_PKI/ca.key" -set_serial 0x4242 -days 5 \
    -extfile "$d/ext" -out "$d/cl.crt" 2>/dev/null || fail "client certificate"
  local hash subject
  hash=$(openssl x509 -in "$d/cl.crt" -outform DER | sha256sum | cut -d' ' -f1)
  subject=$(openssl x509 -in "$d/cl.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  note "client certificate: sha256 $hash, subject $subject"
  fh_start --client-ca "$CG_PKI/ca.crt" --client-auth optional
  local out head
  out=$(https alpha.test / --http1.1 --cert "$d/cl.crt" --key "$d/cl.key" -H 'X-Forwarded-Client-Cert: Hash=forged')
  head=$(q "$out" "r['head']")
  note "upstream saw (with certificate): $head"
  assert_forwarded "$out" "r['head']" "with a verified certificate" \
    "Hash=$hash;Subject=\"$subject\";URI=spiffe://example.org/ns/billing;DNS=billing.example.org"
  out=$(https alpha.test / --http1.1 -H 'X-Forwarded-Client-Cert: Hash=forged')
  head=$(q "$out" "r['head']")
  note "upstream saw (without certificate): $head"
  assert_forwarded "$out" "r['head']" "without a certificate"
}

case_keepalive_every_request_rewritten() {
  fh_start
  req r1 'GET /one HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n'
  req r2 'GET /two HTTP/1.1\r\nHost: alpha.test\r\nx_forwarded_for: 2.2.2.2\r\nX-Forwarded-Proto: http\r\n\r\n'
  req r3 'POST /three HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 5\r\nX-FORWARDED-PORT: 3\r\nX-Forwarded-Client-Cert: Hash=x\r\n\r\nhello'
  local out i
  out=$(hc --step r1.req:1 --step r2.req:1 --step r3.req:1)
  assert_eq 3 "$(q "$out" "len(r['responses'])")" "responses on one keep-alive connection"
  assert_eq "/one /two /three" "$(q "$out" "' '.join(x['json']['target'] for x in r['responses'])")" "targets in order"
  assert_eq 1 "$(q "$out" "len(set(x['json']['conn'] for x in r['responses']))")" "one upstream connection for all three"
  for i in 0 1 2; do
    assert_forwarded "$out" "r['responses'][$i]['json']['head']" "keep-alive request $((i + 1))"
  done
  assert_eq "5 $(printf hello | sha256sum | cut -d' ' -f1)" "$(q "$out" "'%d %s' % (r['responses'][2]['json']['body_len'], r['responses'][2]['json']['body_sha256'])")" "body of request 3"
}

case_pipelined_requests_rewritten_and_bodies_intact() {
  fh_start
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  req pipe 'GET /first HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-Custom: one\r\n\r\n'\
'POST /cl HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 11\r\nX_Forwarded_Proto: http\r\n\r\nhello world'\
'POST /chunked HTTP/1.1\r\nHost: alpha.test\r\nTransfer-Encoding: chunked\r\nx-forwarded-port: 1\r\n\r\n'\
'A;ext=1\r\n0123456789\r\n5;name="v"\r\nabcde\r\n0\r\nX-Trailer: t1\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n'\
'GET /last HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-Client-Cert: Hash=x\r\n\r\n'
  local out i
  out=$(hc --step pipe.req:4)
  note "responses: $(q "$out" "[x['status_line'] for x in r['responses']]" | tr '\n' ' ')"
  assert_eq 4 "$(q "$out" "len(r['responses'])")" "responses to 4 pipelined requests"
  assert_eq "/first /cl /chunked /last" "$(q "$out" "' '.join(x['json']['target'] for x in r['responses'])")" "answered in order"
  for i in 0 1 2 3; do
    assert_forwarded "$out" "r['responses'][$i]['json']['head']" "pipelined request $((i + 1))"
  done
  assert_eq one "$(field_values "$(q "$out" "r['responses'][0]['json']['head']")" x-custom)" "other header of request 1"
  assert_eq "11 $(printf 'hello world' | sha256sum | cut -d' ' -f1)" \
    "$(q "$out" "'%d %s' % (r['responses'][1]['json']['body_len'], r['responses'][1]['json']['body_sha256'])")" "Content-Length body"
  assert_eq "15 $(printf '0123456789abcde' | sha256sum | cut -d' ' -f1)" \
    "$(q "$out" "'%d %s' % (r['responses'][2]['json']['body_len'], r['responses'][2]['json']['body_sha256'])")" "chunked body"
  assert_eq "'a\r\n0123456789\r\n5\r\nabcde\r\n0\r\nX-Trailer: t1\r\n\r\n'" \
    "$(q "$out" "repr(r['responses'][2]['json']['raw_body'])")" "chunked body re-encoded canonically (lower-case hex, no extensions, managed trailer removed)"
  assert_moved certgate_http_requests_total "$CG_TMP/req.before" "certgate_http_requests_total@4"
}

# 300 requests with 1 KiB bodies in ONE write (about 400 KiB: more than the rewriter's 64 KiB output
# bound, so input is held and resumed): all answered, in order, each rewritten.
case_many_pipelined_requests_in_one_write() {
  fh_start
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  "$PY" -c '
import sys
out = []
for i in range(300):
    body = (b"%04d" % i) * 256
    out.append(b"POST /p%d HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.%d\r\nContent-Length: %d\r\n\r\n" % (i, i % 250, len(body)) + body)
sys.stdout.buffer.write(b"".join(out))' > "$CG_TMP/many.req"
  local out="@$CG_TMP/many.json"
  hc --step many.req:300 --timeout 20 > "$CG_TMP/many.json"
  assert_eq 300 "$(q "$out" "len(r['responses'])")" "responses"
  assert_eq ok "$(q "$out" "'ok' if [x['json']['target'] for x in r['responses']] == ['/p%d' % i for i in range(300)] else [x['json']['target'] for x in r['responses']]")" "answered in order"
  assert_eq ok "$("$PY" -c '
import hashlib, json, sys
r = json.load(open(sys.argv[1][1:])); port = sys.argv[2]; bad = []
for i, x in enumerate(r["responses"]):
    j = x["json"]; lines = j["head"].split("\r\n")[1:]
    xff = [l for l in lines if l.lower().replace("_", "-").startswith("x-forwarded-")]
    want = ["X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: https", "X-Forwarded-Port: " + port]
    if xff != want or j["body_sha256"] != hashlib.sha256((b"%04d" % i) * 256).hexdigest():
        bad.append((i, xff, j["body_len"]))
print("ok" if not bad else bad[:3])' "$out" "$CG_PORT")" "every request rewritten, every body intact"
  assert_moved certgate_http_requests_total "$CG_TMP/req.before" "certgate_http_requests_total@300"
}

# One keep-alive connection, requests cut into separate writes (TLS records) in awkward places: inside
# the request line, inside a field name, between CR and LF, inside a chunk-size line and a body.
case_requests_split_across_writes() {
  fh_start
  printf 'GET /spl' > "$CG_TMP/a.req"
  printf 'it HTTP/1.1\r\nHost: alpha.test\r\nX-Forw' > "$CG_TMP/b.req"
  printf 'arded-For: 6.6.6.6\r' > "$CG_TMP/c.req"
  printf '\n\r\nPOST /chunk HTTP/1.1\r\nHost: alpha.test\r\nTransfer-Encoding: chunked\r\n\r\n1' > "$CG_TMP/d.req"
  printf '0\r\n0123456789ab' > "$CG_TMP/e.req"
  printf 'cdef\r\n0\r\n\r\nPOST /cl HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 10\r\n\r\n01234' > "$CG_TMP/f.req"
  printf '56789' > "$CG_TMP/g.req"
  local out
  out=$(hc --step a.req:0 --step b.req:0 --step c.req:0 --step d.req:1 --step e.req:0 --step f.req:1 --step g.req:1)
  assert_eq "/split /chunk /cl" "$(q "$out" "' '.join(x['json']['target'] for x in r['responses'])")" "targets"
  assert_forwarded "$out" "r['responses'][0]['json']['head']" "split request 1"
  assert_forwarded "$out" "r['responses'][1]['json']['head']" "split request 2"
  assert_forwarded "$out" "r['responses'][2]['json']['head']" "split request 3"
  assert_eq "'10\r\n0123456789abcdef\r\n0\r\n\r\n' 10" "$(q "$out" "'%r %d' % (r['responses'][1]['json']['raw_body'], r['responses'][2]['json']['body_len'])")" "bodies"
}

# ---------------------------------------------------------------------------------------------------
# Refused requests

# refused_shape STATUS REASON REQUEST : the request alone on a connection gets STATUS with Connection:
# close, then the close; the upstream sees nothing of it; counted under REASON and STATUS.
refused_shape() {
  fh_start
  req bad "$3"
  refused_shape_running "$1" "$2"
}

case_refuses_content_length_and_chunked() {
  refused_shape 400 length_and_chunked 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
}
case_refuses_chunked_and_content_length() {
  refused_shape 400 length_and_chunked 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n'
}
case_refuses_conflicting_content_lengths() {
  refused_shape 400 bad_content_length 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
}
case_refuses_duplicate_content_length() {
  refused_shape 400 bad_content_length 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'
}
case_refuses_obs_fold() {
  refused_shape 400 obs_fold 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n'
}
case_refuses_bare_cr() {
  refused_shape 400 bad_line_ending 'GET / HTTP/1.1\r\nHost: a\rX-A: 1\r\n\r\n'
}
case_refuses_bare_lf() {
  refused_shape 400 bad_line_ending 'GET / HTTP/1.1\nHost: a\n\n'
}
case_refuses_space_before_colon() {
  refused_shape 400 bad_header 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'
}
case_refuses_transfer_encoding_not_exactly_chunked() {
  refused_shape 501 unsupported_transfer_encoding 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
}
case_refuses_missing_host() {
  refused_shape 400 bad_host 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'
}
case_refuses_two_hosts() {
  refused_shape 400 bad_host 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
}
case_refuses_http2_request_line() {
  refused_shape 505 unsupported_version 'GET / HTTP/2.0\r\nHost: a\r\n\r\n'
}
case_refuses_head_over_32k() {
  # A 31 KiB head is fine (own connection first), a 33 KiB one is 431.
  "$PY" -c 'import sys; sys.stdout.write("GET /big-head HTTP/1.1\r\nHost: a\r\nX-Big: " + "a" * 31 * 1024 + "\r\n\r\n")' > "$CG_TMP/ok.req"
  "$PY" -c 'import sys; sys.stdout.write("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a" * 33 * 1024 + "\r\n\r\n")' > "$CG_TMP/bad.req"
  fh_up_start
  fh_cg --forward-headers
  local out
  out=$(hc --step ok.req:1)
  assert_eq 200 "$(q "$out" "r['responses'][0]['status'] if r['responses'] else None")" "31 KiB head forwarded"
  assert_eq "$((31 * 1024))" "$(q "$out" "len(r['responses'][0]['json']['head'].split('X-Big: ')[1].split(chr(13))[0])")" "31 KiB field arrived whole"
  wait_up_eofs 1
  : > "$UP_LOG"
  refused_shape_running 431 head_too_large
}

# refused_shape_running STATUS REASON : refused_shape's checks with certgate already started, bad.req written.
refused_shape_running() {
  local status=$1 reason=$2 out
  snap certgate_http_requests_rejected_total > "$CG_TMP/rej.before"
  snap certgate_http_error_responses_total > "$CG_TMP/resp.before"
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  out=$(hc --step bad.req:0 --until-eof --timeout 15)
  note "client got: $(q "$out" "[x['status_line'] for x in r['responses']]") eof=$(q "$out" "r['eof_kind']")"
  assert_error_response "$out" 0 "$status" "refused request ($reason)"
  wait_up_eofs 1
  assert_eq "0 0" "$(uplog '" ".join(str(sum(e.get(k, 0) for e in E if e["event"] == "eof")) for k in ("requests", "leftover"))')" \
    "upstream: requests and stray bytes received"
  assert_moved certgate_http_requests_rejected_total "$CG_TMP/rej.before" "reason=\"$reason\"@1"
  assert_moved certgate_http_error_responses_total "$CG_TMP/resp.before" "status=\"$status\"@1"
  assert_moved certgate_http_requests_total "$CG_TMP/req.before"
}

# A refused head followed by 2 MiB more in the same write (an upload with a bad header): the client still
# gets the whole 400 and a clean end, not a reset that destroys it (certgate lingers, reading and
# dropping).
case_refusal_with_large_trailing_upload() {
  fh_start
  "$PY" -c '
import sys
sys.stdout.buffer.write(b"POST /up HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 2097152\r\nX-A: 1\r\n folded\r\n\r\n" + b"x" * 2097152)' > "$CG_TMP/bad.req"
  refused_shape_running 400 obs_fold
}

case_pipelined_before_refusal_answered_first() {
  fh_start
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  req pipe 'GET /one HTTP/1.1\r\nHost: alpha.test\r\n\r\n'\
'POST /two HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 3\r\n\r\nabc'\
'GET /three HTTP/1.1\r\nHost: alpha.test\r\nX-A: 1\r\n folded\r\n\r\n'\
'GET /four HTTP/1.1\r\nHost: alpha.test\r\n\r\n'
  local out
  out=$(hc --step pipe.req:0 --until-eof --timeout 15)
  note "client got: $(q "$out" "[x['status_line'] for x in r['responses']]")"
  assert_eq "200 /one|200 /two" "$(q "$out" "'|'.join('%s %s' % (x['status'], (x['json'] or {}).get('target')) for x in r['responses'][:2])")" \
    "the two requests before the bad one answered first, in order"
  assert_error_response "$out" 2 400 "refused third request"
  wait_up_eofs 1
  assert_eq "/one /two" "$(uplog '" ".join(e["target"] for e in E if e["event"] == "request")')" "requests the upstream saw"
  assert_eq 0 "$(uplog 'sum(e["leftover"] for e in E if e["event"] == "eof")')" "stray bytes after them at the upstream"
  assert_moved certgate_http_requests_total "$CG_TMP/req.before" "certgate_http_requests_total@2"
}

case_keepalive_then_refusal() {
  fh_start
  req good 'GET /ok HTTP/1.1\r\nHost: alpha.test\r\n\r\n'
  req bad 'POST /bad HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
  local out
  out=$(hc --step good.req:1 --step bad.req:0 --until-eof --timeout 15)
  assert_eq "200 /ok" "$(q "$out" "'%s %s' % (r['responses'][0]['status'], r['responses'][0]['json']['target'])")" "first request answered"
  assert_error_response "$out" 1 400 "refused second request on the keep-alive connection"
  wait_up_eofs 1
  assert_eq "/ok" "$(uplog '" ".join(e["target"] for e in E if e["event"] == "request")')" "requests the upstream saw"
}

# ---------------------------------------------------------------------------------------------------
# Protocol upgrades: the upgrade request (or CONNECT) is forwarded rewritten like any request; what the
# client sends after it is held until the upstream's answer. 101 (2xx to CONNECT): an opaque tunnel both
# ways, even for bytes that look like HTTP with forged fields. Any other answer: still HTTP, the held
# bytes are the next request, rewritten. http_upstream.py switches for an Upgrade request to /ws*
# (then echoes), declines one to any other target (JSON 200) and accepts CONNECT (then echoes).

WS_FIELDS='Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
# Client copies of the managed fields in the upgrade heads (must not reach the upstream).
FORGED_FIELDS='X-Forwarded-For: 5.5.5.5\r\nx_forwarded_proto: http\r\nX-Forwarded-Port: 1\r\n'

# frames NAME : tunnel bytes to $CG_TMP/NAME.bin: a masked WebSocket text frame ("Hello", RFC 6455
# 5.7), bytes that look like a pipelined HTTP request with a forged X-Forwarded-For, and a few binary
# bytes (NUL, 0xff, a bare CR LF CR LF).
frames() {
  "$PY" -c '
import sys
sys.stdout.buffer.write(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
                        b"GET /smuggled HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
                        b"\x00\xff\r\n\r\n\x88\x80\x00\x00\x00\x00")' > "$CG_TMP/$1.bin"
}

# cat_files OUT FILE... : concatenate $CG_TMP/FILEs into $CG_TMP/OUT.
cat_files() { local out=$1; shift; (cd "$CG_TMP" && cat "$@") > "$CG_TMP/$out"; }

fsize() { stat -c %s "$CG_TMP/$1"; }
fsum() { sha256sum < "$CG_TMP/$1" | cut -d' ' -f1; }

# up_requests : the upstream's request events as a JSON list.
up_requests() { uplog 'json.dumps([e for e in E if e["event"] == "request"])'; }

# snap_http : snapshots of the three HTTP counters for assert_moved.
snap_http() {
  snap certgate_http_requests_total > "$CG_TMP/req.before"
  snap certgate_http_requests_rejected_total > "$CG_TMP/rej.before"
  snap certgate_http_error_responses_total > "$CG_TMP/resp.before"
}

# assert_http_moved N : N requests counted, no rejection, no own error response.
assert_http_moved() {
  assert_moved certgate_http_requests_total "$CG_TMP/req.before" "certgate_http_requests_total@$1"
  assert_moved certgate_http_requests_rejected_total "$CG_TMP/rej.before"
  assert_moved certgate_http_error_responses_total "$CG_TMP/resp.before"
}

# assert_tunnel OUT_JSON FILES... : the client's tunnel bytes are exactly the FILEs concatenated, and so
# are the bytes the upstream echoed (one echoing connection, after AFTER_REQUESTS requests, default 1).
assert_tunnel() {
  local out=$1; shift
  cat_files expected.bin "$@"
  local want
  want="$(fsize expected.bin) $(fsum expected.bin)"
  assert_eq "$want" "$(q "$out" "'%d %s' % (r['tunnel_len'], r['tunnel_sha256'])")" "client: tunnel bytes echoed back exactly"
  wait_up_eofs 1
  assert_eq "$want ${AFTER_REQUESTS:-1} " \
    "$(uplog '" ".join("%d %s %s %s" % (e["echoed"], e["sha256"], e.get("after_requests"), e.get("error", "")) for e in E if e["event"] == "echo_eof")')" \
    "upstream: tunnel bytes received untouched (length, sha256, requests before the tunnel, error)"
}

case_websocket_switches_to_tunnel() {
  fh_start
  snap_http
  req head "GET /ws/chat HTTP/1.1\r\nHost: alpha.test\r\n$WS_FIELDS$FORGED_FIELDS\r\n"
  frames f1
  cat_files ws.bin head.req f1.bin
  # More after the 101, in a later write: 256 KiB of random bytes, then HTTP-looking bytes again.
  "$PY" -c '
import os, sys
sys.stdout.buffer.write(os.urandom(256 * 1024) + b"POST /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\nContent-Length: 0\r\n\r\n")' > "$CG_TMP/f2.bin"
  local out="@$CG_TMP/ws.json" reqs
  hc --step "ws.bin:1+$(fsize f1.bin)" --step "f2.bin:0+$(fsize f2.bin)" --timeout 15 > "$CG_TMP/ws.json"
  note "client got: $(q "$out" "'|'.join(x['status_line'] for x in r['responses'])") tunnel bytes $(q "$out" "r['tunnel_len']") timed_out=$(q "$out" "r['timed_out']")"
  assert_eq "HTTP/1.1 101 Switching Protocols|websocket|Upgrade" \
    "$(q "$out" "'|'.join([r['responses'][0]['status_line'], r['responses'][0]['headers'].get('upgrade', ''), r['responses'][0]['headers'].get('connection', '')]) if r['responses'] else 'no response'")" \
    "the upstream's 101 (status line, Upgrade, Connection)"
  assert_eq 1 "$(q "$out" "len(r['responses'])")" "responses (nothing after the 101 is HTTP)"
  assert_tunnel "$out" f1.bin f2.bin
  reqs=$(up_requests)
  assert_eq "1 /ws/chat switched 0" "$(q "$reqs" "'%d %s %s %s' % (len(r), r[0]['target'], r[0]['upgrade'], r[0]['buffered'])")" \
    "upstream: one request, the upgrade, nothing received after its head before the 101 (held)"
  assert_forwarded "$reqs" "r[0]['head']" "upgrade request"
  assert_contains "$(q "$reqs" "r[0]['head']")" "Upgrade: websocket" "upgrade head"
  assert_not_contains "$(q "$reqs" "r[0]['head']")" "5.5.5.5" "upgrade head"
  assert_contains "$(uplog '[e["first"].replace(chr(0), "") for e in E if e["event"] == "echo_eof"][0]')" "X-Forwarded-For: 6.6.6.6" \
    "tunnel bytes at the upstream (the forged field inside the tunnel is not touched)"
  assert_http_moved 1
}

case_upgrade_declined_stays_http() {
  fh_start
  snap_http
  req pipe "GET /nows HTTP/1.1\r\nHost: alpha.test\r\n$WS_FIELDS$FORGED_FIELDS\r\n"\
'GET /next HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-Custom: after the upgrade\r\n\r\n'
  local out reqs
  out=$(hc --step pipe.req:2 --timeout 10)
  note "client got: $(q "$out" "'|'.join(x['status_line'] for x in r['responses'])")"
  assert_eq "200 /nows|200 /next" "$(q "$out" "'|'.join('%s %s' % (x['status'], (x['json'] or {}).get('target')) for x in r['responses'])")" \
    "both answered, in order (the upgrade declined with an ordinary 200)"
  assert_eq "None " "$(q "$out" "'%s %s' % (r['tunnel'], r['trailing'])")" "no tunnel, nothing after the responses"
  assert_forwarded "$out" "r['responses'][0]['json']['head']" "declined upgrade request"
  assert_forwarded "$out" "r['responses'][1]['json']['head']" "request after the declined upgrade"
  assert_eq "after the upgrade" "$(field_values "$(q "$out" "r['responses'][1]['json']['head']")" x-custom)" "other field of the next request"
  reqs=$(up_requests)
  assert_eq "/nows declined 0|/next None" "$(q "$reqs" "'|'.join(' '.join(str(x) for x in ([e['target'], e['upgrade'], e['buffered']] if e['upgrade'] else [e['target'], e['upgrade']])) for e in r)")" \
    "upstream: the two requests, nothing of the second received before the decline (held)"
  assert_eq 1 "$(q "$reqs" "len(set(e['conn'] for e in r))")" "one upstream connection"
  assert_not_contains "$(cat "$UP_LOG")" "6.6.6.6" "upstream log"
  assert_not_contains "$(cat "$UP_LOG")" "5.5.5.5" "upstream log"
  assert_http_moved 2
}

case_pipelined_request_before_upgrade() {
  fh_start
  snap_http
  req pipe "GET /a HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\n\r\nGET /ws HTTP/1.1\r\nHost: alpha.test\r\n$WS_FIELDS$FORGED_FIELDS\r\n"
  frames f1
  cat_files pipe.bin pipe.req f1.bin
  local out reqs
  out=$(hc --step "pipe.bin:2+$(fsize f1.bin)" --timeout 10)
  note "client got: $(q "$out" "'|'.join(x['status_line'] for x in r['responses'])") tunnel bytes $(q "$out" "r['tunnel_len']")"
  assert_eq "HTTP/1.1 200 OK /a|HTTP/1.1 101 Switching Protocols None" \
    "$(q "$out" "'|'.join('%s %s' % (x['status_line'], (x['json'] or {}).get('target')) for x in r['responses'])")" \
    "the pipelined request's JSON 200 first, then the 101"
  assert_forwarded "$out" "r['responses'][0]['json']['head']" "request before the upgrade"
  AFTER_REQUESTS=2 assert_tunnel "$out" f1.bin
  reqs=$(up_requests)
  assert_eq "/a None|/ws switched 0" "$(q "$reqs" "'|'.join('%s %s' % (e['target'], e['upgrade']) + (' %d' % e['buffered'] if e['upgrade'] else '') for e in r)")" \
    "upstream: /a then the upgrade, nothing after the upgrade head before the 101"
  assert_forwarded "$reqs" "r[1]['head']" "upgrade request after a pipelined one"
  assert_http_moved 2
}

case_connect_tunnel() {
  fh_start
  snap_http
  req head "CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n$FORGED_FIELDS\r\n"
  frames f1
  cat_files connect.bin head.req f1.bin
  local out reqs
  out=$(hc --tunnel-after 1 --step "connect.bin:1+$(fsize f1.bin)" --timeout 10)
  note "client got: $(q "$out" "'|'.join(x['status_line'] for x in r['responses'])") tunnel bytes $(q "$out" "r['tunnel_len']")"
  assert_eq "HTTP/1.1 200 Connection established" "$(q "$out" "r['responses'][0]['status_line'] if r['responses'] else 'no response'")" "CONNECT answer"
  assert_eq 1 "$(q "$out" "len(r['responses'])")" "responses"
  assert_tunnel "$out" f1.bin
  reqs=$(up_requests)
  assert_eq "1 CONNECT db.internal:5432 HTTP/1.1|switched 0" \
    "$(q "$reqs" "'%d %s|%s %s' % (len(r), r[0]['head'].split(chr(13))[0], r[0]['upgrade'], r[0]['buffered'])")" \
    "upstream: the CONNECT request line unchanged, nothing received after its head before the 200 (held)"
  assert_forwarded "$reqs" "r[0]['head']" "CONNECT request"
  assert_not_contains "$(q "$reqs" "r[0]['head']")" "5.5.5.5" "CONNECT head"
  assert_http_moved 1
}

# ---------------------------------------------------------------------------------------------------
# Unusable upstream

case_upstream_refused_is_502() {
  UP_PORT=$(free_port)   # nothing listens there
  fh_cg --forward-headers
  snap certgate_http_error_responses_total > "$CG_TMP/resp.before"
  req get 'GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n'
  local out
  out=$(hc --step get.req:0 --until-eof)
  assert_error_response "$out" 0 502 "refused upstream connect"
  assert_moved certgate_http_error_responses_total "$CG_TMP/resp.before" 'status="502"@1'
}

case_upstream_connect_timeout_is_504() {
  blackhole_start
  fh_cg --forward-headers --connect-timeout 1s
  snap certgate_http_error_responses_total > "$CG_TMP/resp.before"
  req get 'GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n'
  local out t0 ms
  t0=$(now_ms)
  out=$(hc --step get.req:0 --until-eof)
  ms=$(( $(now_ms) - t0 ))
  assert_error_response "$out" 0 504 "upstream connect timeout"
  assert_ge "$ms" 900 "ms until the 504 (connect timeout 1s)"
  assert_le "$ms" 5000 "ms until the 504 (connect timeout 1s)"
  assert_moved certgate_http_error_responses_total "$CG_TMP/resp.before" 'status="504"@1'
}

case_without_option_unreachable_upstream_just_closes() {
  UP_PORT=$(free_port)
  fh_cg
  req get 'GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n'
  local out
  out=$(hc --step get.req:0 --until-eof)
  assert_eq "0 true" "$(q "$out" "'%d %s' % (r['raw_len'], str(r['eof']).lower())")" "refused upstream: bytes received, closed"
  # and a connect timeout likewise
  cg_stop
  UP_PORT=""; CG_PORT=""
  blackhole_start
  fh_cg --connect-timeout 1s
  out=$(hc --step get.req:0 --until-eof)
  assert_eq "0 true" "$(q "$out" "'%d %s' % (r['raw_len'], str(r['eof']).lower())")" "upstream connect timeout: bytes received, closed"
}

case_without_option_requests_pass_untouched() {
  fh_up_start
  fh_cg
  req pipe 'GET /a HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-A: 1\r\n folded\r\n\r\n'
  local out
  out=$(hc --step pipe.req:1)
  assert_eq "'GET /a HTTP/1.1\r\nHost: alpha.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-A: 1\r\n folded'" \
    "$(q "$out" "repr(r['responses'][0]['json']['head'])")" "head byte for byte (no fields added or removed, obs-fold not refused)"
}

case_no_forward_headers_overrides_yaml_true() {
  fh_up_start
  printf 'forward-headers: true\n' > "$CG_TMP/fh.yaml"
  local out head
  # Control: the file's true alone adds the fields.
  fh_cg --config "$CG_TMP/fh.yaml"
  out=$(https alpha.test /on --http1.1 -H 'X-Forwarded-For: 6.6.6.6')
  head=$(q "$out" "r['head']")
  assert_eq "127.0.0.1" "$(field_values "$head" x-forwarded-for)" "X-Forwarded-For with forward-headers: true in the file"
  cg_stop
  CG_PORT=""
  fh_cg --config "$CG_TMP/fh.yaml" --no-forward-headers
  out=$(https alpha.test /off --http1.1 -H 'X-Forwarded-For: 6.6.6.6')
  head=$(q "$out" "r['head']")
  note "upstream saw: $head"
  assert_eq "6.6.6.6" "$(field_values "$head" x-forwarded-for)" "the client's own X-Forwarded-For, untouched, with --no-forward-headers"
  assert_eq "" "$(field_values "$head" x-forwarded-proto)" "no X-Forwarded-Proto with --no-forward-headers"
}

# ---------------------------------------------------------------------------------------------------
# ALPN

# cg_refuses WHAT... -- ARGS : `certgate run ARGS` exits 1 at start-up with one stderr line containing
# every WHAT.
cg_refuses() {
  local whats=() rc=0
  while [ "$1" != -- ]; do whats+=("$1"); shift; done
  shift
  CG_PORT=$(free_port)
  timeout 15 "$CG_BIN" run --listen "127.0.0.1:$CG_PORT" "$@" >"$CG_TMP/refused.out" 2>"$CG_TMP/refused.err" </dev/null || rc=$?
  note "certgate $*: exit $rc: $(cat "$CG_TMP/refused.err")"
  assert_eq 1 "$rc" "exit status of certgate $*"
  assert_eq 1 "$(grep -c . "$CG_TMP/refused.err")" "stderr lines"
  local w
  for w in "${whats[@]}"; do assert_contains "$(cat "$CG_TMP/refused.err")" "$w" "the error line"; done
}

# h2_spoof_frames FILE : the HTTP/2 preface, an empty SETTINGS frame and a HEADERS frame (stream 1,
# END_HEADERS|END_STREAM; HPACK literals without indexing) for GET / with forged X-Forwarded-Client-Cert
# and X-Forwarded-For fields: what `curl --http2 -H ...` sends once h2 is agreed.
h2_spoof_frames() {
  "$PY" - "$1" <<'PYEOF'
import struct, sys
def lit(name, value):
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v
block = b"\x82\x87\x84" + b"\x01" + bytes([len("alpha.test")]) + b"alpha.test"
block += lit("x-forwarded-client-cert", "By=spoofed;URI=spiffe://admin") + lit("x-forwarded-for", "6.6.6.6")
frame = lambda t, f, sid, p: struct.pack(">I", len(p))[1:] + bytes([t, f]) + struct.pack(">I", sid) + p
out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 5, 1, block)
open(sys.argv[1], "wb").write(out)
PYEOF
}

# assert_no_spoof WHAT : nothing the upstream received carries the forged values, and no connection was
# passed through as HTTP/2.
assert_no_spoof() {
  assert_not_contains "$(cat "$UP_LOG")" "spoofed" "$1: upstream log (forged XFCC)"
  assert_not_contains "$(cat "$UP_LOG")" "6.6.6.6" "$1: upstream log (forged X-Forwarded-For)"
  assert_eq 0 "$(uplog 'len([e for e in E if e["event"].startswith("echo")])')" "$1: connections passed through untouched"
}

# The identity-spoofing hole of HTTP/2 pass-through (issue 16): pass-through to an h2c upstream cannot be
# combined with --forward-headers; terminated h2 (--upstream-protocol http1, the default) rewrites every
# request, so neither curl --http2 nor hand-built h2 frames get a forged XFCC or XFF to the upstream.
case_h2_identity_spoofing_is_impossible() {
  fh_up_start
  std_certs "$CG_TMP/certs"
  local common=(--upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs")
  cg_refuses --upstream-protocol --forward-headers -- "${common[@]}" --forward-headers --alpn h2,http/1.1 --upstream-protocol h2c
  cg_refuses --upstream-protocol --forward-headers -- "${common[@]}" --forward-headers --upstream-protocol h2c
  printf 'forward-headers: true\nalpn: [h2, http/1.1]\nupstream-protocol: h2c\n' > "$CG_TMP/h2.yaml"
  cg_refuses "$CG_TMP/h2.yaml" "key 'upstream-protocol'" "'forward-headers:'" -- "${common[@]}" --config "$CG_TMP/h2.yaml"

  CG_PORT=""
  fh_cg --forward-headers --alpn h2,http/1.1
  local out
  out=$(https alpha.test /spoof --http2 -H 'X-Forwarded-Client-Cert: By=spoofed;URI=spiffe://admin' -H 'X-Forwarded-For: 6.6.6.6' -w '\n%{http_version}')
  assert_eq 2 "$(tail -n 1 <<<"$out")" "curl --http2 speaks HTTP/2 to certgate"
  assert_forwarded "$(head -n 1 <<<"$out")" "r['head']" "curl --http2 with forged fields"
  # The same forged fields in hand-built h2 frames, h2 agreed: terminated and rewritten too.
  h2_spoof_frames "$CG_TMP/spoof.bin"
  local s
  s=$(timeout 3 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -CAfile "$CG_PKI/ca.crt" \
    -alpn h2 -ign_eof <"$CG_TMP/spoof.bin" 2>&1)
  assert_contains "$s" "ALPN protocol: h2" "s_client -alpn h2"
  wait_for 5 _up_requests_ge 2 || fail "the hand-built h2 request did not reach the upstream: $(cat "$UP_LOG")"
  # A client that speaks h2 without agreeing on it: the preface is refused as HTTP/1.x.
  out=$(hc --step spoof.bin:0 --until-eof)
  assert_eq 400 "$(q "$out" "r['responses'][0]['status'] if r['responses'] else 'none'")" "h2 frames without ALPN"
  assert_no_spoof "curl --http2 and raw h2 frames"
}
_up_requests_ge() { [ "$(uplog 'len([e for e in E if e["event"] == "request"])')" -ge "$1" ]; }

# With an upstream declared h2c (and no --forward-headers), an h2 connection is passed through untouched.
case_alpn_h2_with_h2c_upstream_passes_through() {
  fh_up_start
  fh_cg --alpn h2,http/1.1 --upstream-protocol h2c
  # h2 preface + an empty SETTINGS frame + bytes that look like an HTTP/1.1 request with spoofed fields.
  printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00GET / HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\nHost : x\r\n\r\n' > "$CG_TMP/h2.bin"
  local n sum out
  n=$(stat -c %s "$CG_TMP/h2.bin"); sum=$(sha256sum < "$CG_TMP/h2.bin" | cut -d' ' -f1)
  out=$(hc --alpn h2,http/1.1 --step h2.bin:0 --read-bytes "$n" --timeout 5)
  assert_eq h2 "$(q "$out" "r['alpn']")" "ALPN agreed (python client)"
  assert_eq "$n $sum" "$(q "$out" "'%d %s' % (r['raw_len'], r['raw_sha256'])")" "h2 bytes echoed back identically"
  wait_up_eofs 1
  assert_eq "$n $sum" "$(uplog '" ".join("%d %s" % (e["echoed"], e["sha256"]) for e in E if e["event"] == "echo_eof")')" "upstream got the h2 bytes untouched"
  local s
  # (-ign_eof: s_client stays until killed, 2 s later, showing whatever came back)
  s=$(printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' | timeout 2 openssl s_client -connect "127.0.0.1:$CG_PORT" \
    -servername alpha.test -CAfile "$CG_PKI/ca.crt" -alpn h2 -ign_eof 2>&1)
  assert_contains "$s" "ALPN protocol: h2" "s_client -alpn h2"
  assert_contains "$s" "PRI * HTTP/2.0" "s_client got the preface echoed"
}

case_no_alpn_without_option() {
  fh_start
  local s out
  s=$(timeout 5 openssl s_client -connect "127.0.0.1:$CG_PORT" -servername alpha.test -CAfile "$CG_PKI/ca.crt" -alpn h2 </dev/null 2>&1)
  assert_contains "$s" "No ALPN negotiated" "s_client -alpn h2 without --alpn"
  # h2 is not agreed, so the preface is read as HTTP/1.x and refused, not passed through.
  printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' > "$CG_TMP/h2.req"
  out=$(hc --alpn h2 --step h2.req:0 --until-eof)
  assert_eq "" "$(q "$out" "r['alpn']")" "ALPN (python client offering h2)"
  # http-parser stops at the PRI method line before a version is read: a malformed request line (400).
  assert_eq 400 "$(q "$out" "r['responses'][0]['status'] if r['responses'] else 'none'")" "the preface is refused as HTTP/1.x"
  assert_eq close "$(q "$out" "r['responses'][0]['headers'].get('connection')")" "Connection header"
}

# ---------------------------------------------------------------------------------------------------
# Large uploads

case_large_upload_content_length_and_chunked() {
  fh_start
  "$PY" "$UPSTREAM_PY" gen 8 > "$CG_TMP/up.bin"
  local sum out
  sum=$(sha256sum < "$CG_TMP/up.bin" | cut -d' ' -f1)
  out=$(https alpha.test /upload-cl --http1.1 -H 'Expect:' --data-binary @"$CG_TMP/up.bin")
  assert_eq "8388608 $sum false" "$(q "$out" "'%d %s %s' % (r['body_len'], r['body_sha256'], str(r['chunked']).lower())")" "8 MiB Content-Length upload at the upstream"
  assert_forwarded "$out" "r['head']" "Content-Length upload"
  out=$(https alpha.test /upload-chunked --http1.1 -H 'Expect:' -H 'Transfer-Encoding: chunked' --data-binary @"$CG_TMP/up.bin")
  assert_eq "8388608 $sum true" "$(q "$out" "'%d %s %s' % (r['body_len'], r['body_sha256'], str(r['chunked']).lower())")" "8 MiB chunked upload at the upstream"
  assert_forwarded "$out" "r['head']" "chunked upload"
  assert_eq "" "$(field_values "$(q "$out" "r['head']")" content-length)" "no Content-Length on the chunked upload"
}

run_cases "$@"
