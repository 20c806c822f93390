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

run_cases "$@"
