#!/usr/bin/env bash
# Bulk data through the proxy: 64 MiB each way intact (sha256), both directions at once, keep-alive.
# case-timeout: 180
source "$(dirname "$0")/lib.sh"

MIB64=$((64 * 1024 * 1024))

case_download_64mib() {
  std_start
  local want got
  want=$("$PY" "$UPSTREAM_PY" gen 64 | sha256sum | cut -d' ' -f1)
  got=$(https alpha.test "/big?mib=64" -o "$CG_TMP/big.bin" -w '%{size_download}')
  assert_eq "$MIB64" "$got" "bytes downloaded"
  assert_eq "$want" "$(sha256sum < "$CG_TMP/big.bin" | cut -d' ' -f1)" "sha256 of the 64 MiB download"
}

case_upload_64mib() {
  std_start
  "$PY" "$UPSTREAM_PY" gen 64 > "$CG_TMP/up.bin"
  # Make it differ from the generated stream so a proxy cannot pass by accident.
  printf 'certgate' | dd of="$CG_TMP/up.bin" bs=1 seek=$((MIB64 - 8)) conv=notrunc status=none
  local want out
  want=$(sha256sum < "$CG_TMP/up.bin" | cut -d' ' -f1)
  out=$(https alpha.test /upload -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary @"$CG_TMP/up.bin")
  assert_eq "sha256=$want bytes=$MIB64" "$out" "what the upstream received"
}

case_both_directions_at_once() {
  up_start raw
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  "$PY" "$CLIENT_PY" echo --port "$CG_PORT" --sni alpha.test --ca "$CG_PKI/ca.crt" --mib 32 \
    || fail "32 MiB echoed through the proxy while sending (see above)"
}

case_keepalive_many_requests() {
  std_start
  local urls=() i out
  for i in $(seq 1 50); do urls+=("https://alpha.test:$CG_PORT/echo?msg=r$i"); done
  out=$(curl -sS --max-time 30 --cacert "$CG_PKI/ca.crt" --resolve "alpha.test:$CG_PORT:127.0.0.1" \
        -w '%{num_connects}\n' "${urls[@]}")
  assert_eq 50 "$(printf '%s\n' "$out" | grep -c '^echo r[0-9]*$')" "answers on one keep-alive connection"
  assert_eq "echo r50" "$(printf '%s\n' "$out" | grep '^echo' | tail -n 1)" "last answer"
  assert_eq 1 "$(printf '%s\n' "$out" | awk '/^[0-9]+$/ {s += $1} END {print s + 0}')" "TCP connections opened by curl"
}

case_parallel_downloads() {
  std_start --workers 2
  local want i pids=()
  want=$("$PY" "$UPSTREAM_PY" gen 16 | sha256sum | cut -d' ' -f1)
  for i in 1 2 3 4; do
    https alpha.test "/big?mib=16" -o "$CG_TMP/p$i.bin" 2>"$CG_TMP/p$i.err" &
    pids+=($!)
  done
  for i in 1 2 3 4; do wait "${pids[$((i - 1))]}" || fail "download $i: $(cat "$CG_TMP/p$i.err")"; done
  for i in 1 2 3 4; do
    assert_eq "$want" "$(sha256sum < "$CG_TMP/p$i.bin" | cut -d' ' -f1)" "sha256 of parallel download $i (16 MiB)"
  done
}

case_upstream_speaks_first() {
  # Server-first protocols (SMTP, MySQL...): the upstream greets before the client sends a byte, so the
  # proxy must connect upstream after the handshake, not on the client's first data.
  up_start raw --banner
  std_certs "$CG_TMP/certs"
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs"
  local out
  out=$("$PY" - "$CG_PORT" "$CG_PKI/ca.crt" <<'EOF'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="alpha.test")
s.settimeout(5)
buf = b""
try:
    while not buf.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            break
        buf += d
except socket.timeout:
    pass
print(buf.decode(errors="replace").strip() or "<nothing within 5 s>")
EOF
)
  assert_eq "BANNER certgate-test-upstream" "$out" "greeting received without sending anything"
}

# rss_kib PID : resident set size in KiB
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

case_backpressure_bounds_memory() {
  # A client that stops reading a 64 MiB response: the proxy must stop reading the upstream instead of
  # buffering the response (bounded buffers). Its RSS may not grow by anything near 64 MiB; afterwards the
  # client reads on and gets every byte intact.
  std_start
  assert_hello
  local base; base=$(rss_kib "$CG_PID")
  coproc SLOW { "$PY" "$CLIENT_PY" stall-download --port "$CG_PORT" --ca "$CG_PKI/ca.crt" --mib 64; }
  _register_aux "$SLOW_PID"
  local line=""
  read -r -t 15 line <&"${SLOW[0]}" || true
  assert_eq stalled "$line" "slow client state"
  # Measurement window: give the upstream 2 s to push as much as the proxy will take, sampling RSS.
  local peak=$base now i
  for i in $(seq 1 20); do
    now=$(rss_kib "$CG_PID"); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.1
  done
  note "certgate RSS: $base KiB before, peak $peak KiB while the client stalls"
  assert_le $(( (peak - base) / 1024 )) 16 "MiB of RSS growth with a stalled 64 MiB response"
  local rfd=${SLOW[0]} wfd=${SLOW[1]}
  echo go >&"$wfd"
  read -r -t 60 line <&"$rfd" || true
  local want; want=$("$PY" "$UPSTREAM_PY" gen 64 | sha256sum | cut -d' ' -f1)
  assert_eq "body $MIB64 $want" "$line" "bytes and sha256 the slow client finally read"
}

run_cases "$@"
