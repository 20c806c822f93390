#!/usr/bin/env bash
# --upstream with a host name: every address is used (new connections rotate, a refused connect moves on
# to the next address), the name is resolved again every --upstream-resolve-interval on a resolver
# thread, a failed resolution keeps the last good addresses (logged once), and the metrics
# certgate_upstream_resolutions_total{result} and certgate_upstream_addresses tell.
#
# The name lives in a private /etc/hosts: certgate runs in its own mount namespace (unshare -m) with a
# file of this case bind-mounted over /etc/hosts, so nothing outside the case is touched. The file is
# rewritten in place (same inode) to change what the name resolves to. Needs root (skipped otherwise).
source "$(dirname "$0")/lib.sh"

UP_NAME=cg-upstream.test

# hosts_set ADDRESS... : the private hosts file maps $UP_NAME to these addresses (none: unknown name).
hosts_set() {
  local a
  {
    echo "127.0.0.1 localhost"
    for a in "$@"; do echo "$a $UP_NAME"; done
  } >"$CG_TMP/hosts.new"
  cat "$CG_TMP/hosts.new" >"$CG_TMP/hosts"
}

# private_hosts : CG_BIN becomes a wrapper that runs certgate under $CG_TMP/hosts as /etc/hosts.
private_hosts() {
  : >"$CG_TMP/hosts"
  unshare -m mount --bind "$CG_TMP/hosts" /etc/hosts 2>/dev/null || skip "unshare -m with a bind mount is not allowed here"
  cat >"$CG_TMP/certgate-ns" <<WRAP
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$CG_TMP/hosts" "$CG_BIN" "\$@"
WRAP
  chmod +x "$CG_TMP/certgate-ns"
  CG_BIN="$CG_TMP/certgate-ns"
}

# second_upstream ADDRESS : an HTTP server on ADDRESS:$UP_PORT whose /hello answers "hello from ADDRESS".
second_upstream() {
  mkdir -p "$CG_TMP/www-$1"
  echo "hello from $1" >"$CG_TMP/www-$1/hello"
  "$PY" -m http.server "$UP_PORT" --bind "$1" --directory "$CG_TMP/www-$1" >>"$CG_TMP/second.log" 2>&1 &
  _register_aux $!
  wait_for 10 curl -sf -o /dev/null "http://$1:$UP_PORT/hello" || fail "second upstream on $1 did not start"
}

_hello_is() { [ "$(https alpha.test /hello 2>/dev/null)" = "$1" ]; }

case_every_connection_succeeds_by_failing_over_to_the_address_that_listens() {
  private_hosts
  # Two addresses; the upstream listens on 127.0.0.1 only, 127.0.0.2 refuses.
  hosts_set 127.0.0.2 127.0.0.1
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "$UP_NAME:$UP_PORT" --cert-dir "$CG_TMP/certs" $(cg_admin_args) \
    --upstream-resolve-interval off
  assert_eq 2 "$(metric certgate_upstream_addresses)" "addresses in use"
  local i
  for i in 1 2 3 4 5 6; do assert_hello alpha.test; done
  local refused; refused=$(metric certgate_upstream_connect_failures_total 'reason="refused"')
  note "refused connects (each followed by the other address): $refused"
  [ "$refused" -ge 1 ] || fail "no connect went to 127.0.0.2 first: rotation does not use both addresses"
  assert_le "$refused" 6 "at most one refused connect per client connection"
  grep -q 'upstream connect failed.*127.0.0.2' "$CG_LOG" || fail "the refused address is not in the log"
  assert_eq 0 "$(metric certgate_upstream_resolutions_total)" "no re-resolution with the interval off"
}

case_a_changed_name_is_resolved_again_and_a_failed_resolution_keeps_the_last_good_list() {
  private_hosts
  hosts_set 127.0.0.1
  admin_init
  up_start http
  second_upstream 127.0.0.2
  std_certs "$CG_TMP/certs"
  cg_start --upstream "$UP_NAME:$UP_PORT" --cert-dir "$CG_TMP/certs" $(cg_admin_args) \
    --upstream-resolve-interval 1s
  assert_hello alpha.test
  wait_for 5 metric_is certgate_upstream_resolutions_total 'result="success"' 2 || fail "no periodic resolution"

  hosts_set 127.0.0.2
  wait_for 5 _hello_is "hello from 127.0.0.2" || fail "new connections did not move to the new address"
  grep -q 'upstream addresses changed.*127.0.0.2' "$CG_LOG" || fail "the change is not logged"
  assert_eq 1 "$(metric certgate_upstream_addresses)" "addresses in use"

  hosts_set # the name is gone
  wait_for 10 metric_is certgate_upstream_resolutions_total 'result="failure"' 3 \
    || fail "failures not counted: $(metric certgate_upstream_resolutions_total 'result="failure"')"
  _hello_is "hello from 127.0.0.2" || fail "the last good address was not kept"
  assert_eq 1 "$(grep -c 'upstream resolution failed' "$CG_LOG")" "failure logged once, not every interval"
  assert_eq 1 "$(metric certgate_upstream_addresses)" "addresses in use after failures"

  hosts_set 127.0.0.1
  wait_for 5 _hello_is "hello from upstream" || fail "did not recover to the name's new address"
  grep -q 'upstream resolves again' "$CG_LOG" || fail "the recovery is not logged"
}

case_the_interval_and_the_upstream_reload_live() {
  private_hosts
  hosts_set 127.0.0.1
  admin_init
  up_start http
  std_certs "$CG_TMP/certs"
  printf 'upstream: %s:%s\nupstream-resolve-interval: off\n' "$UP_NAME" "$UP_PORT" >"$CG_TMP/cfg.yaml"
  cg_start --cert-dir "$CG_TMP/certs" $(cg_admin_args) --config "$CG_TMP/cfg.yaml"
  sleep 1.5
  assert_eq 0 "$(metric certgate_upstream_resolutions_total)" "resolutions with the interval off"
  printf 'upstream: %s:%s\nupstream-resolve-interval: 1s\n' "$UP_NAME" "$UP_PORT" >"$CG_TMP/cfg.yaml"
  kill -HUP "$CG_PID"
  wait_for 5 metric_is certgate_upstream_resolutions_total 'result="success"' 2 \
    || fail "no resolution after the reload turned the interval on"
  assert_hello alpha.test
  # A literal address in force: the timer stops resolving.
  printf 'upstream: 127.0.0.1:%s\nupstream-resolve-interval: 1s\n' "$UP_PORT" >"$CG_TMP/cfg.yaml"
  kill -HUP "$CG_PID"
  wait_for 5 grep -q 'configuration reloaded.*upstream' "$CG_LOG" || fail "the upstream change was not applied"
  local before; before=$(metric certgate_upstream_resolutions_total)
  sleep 2.5
  assert_eq "$before" "$(metric certgate_upstream_resolutions_total)" "resolutions after a literal upstream"
  assert_hello alpha.test
}

case_a_literal_address_is_never_resolved_again() {
  admin_init
  std_start --upstream-resolve-interval 1s
  assert_hello alpha.test
  sleep 2.5
  assert_eq 0 "$(metric certgate_upstream_resolutions_total)" "resolutions of 127.0.0.1"
  assert_eq 1 "$(metric certgate_upstream_addresses)" "addresses in use"
}

run_cases "$@"
