#!/usr/bin/env bash
# 200 connections open at the same time (all handshakes done before any request), each gets its own answer.
# case-timeout: 120
source "$(dirname "$0")/lib.sh"

concurrent() {
  "$PY" "$CLIENT_PY" concurrent --port "$CG_PORT" --sni "$1" --ca "$CG_PKI/ca.crt" -n "$2" \
    || fail "$2 concurrent connections (see above)"
}

case_200_concurrent_default_workers() {
  std_start
  concurrent alpha.test 200
  assert_hello
}

case_200_concurrent_one_worker() {
  std_start --workers 1
  concurrent a.example.com 200
}

case_200_concurrent_two_workers() {
  std_start --workers 2
  concurrent zulu.test 200
}

case_200_concurrent_workers_auto() {
  std_start --workers auto
  concurrent exact.example.com 200
}

run_cases "$@"
