#!/usr/bin/env bash
# --config FILE: a YAML key for every flag (same names), flags win, relative paths resolve against the
# file's directory (see config/example.yaml).
source "$(dirname "$0")/lib.sh"

# write_config FILE : a complete configuration for this case (listen, upstream, admin, certificates).
write_config() {
  cat > "$1" <<EOF
listen: 127.0.0.1:$CG_PORT
upstream: 127.0.0.1:$UP_PORT
admin: 127.0.0.1:$CG_ADMIN
cert-dir:
  - $CG_TMP/certs
default-cert: zulu
workers: 2
log-format: text
log-level: info
min-tls: "1.2"
connect-timeout: 2s
handshake-timeout: 1500ms
EOF
}

case_runs_from_config_file() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port); admin_init
  write_config "$CG_TMP/c.yaml"
  cg_launch run --config "$CG_TMP/c.yaml"
  assert_served "" cg-zulu
  assert_hello alpha.test
  assert_eq 200 "$(admin_status /healthz)" "admin /healthz from the config's admin address"
}

case_flags_win_over_file() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port); admin_init
  write_config "$CG_TMP/c.yaml"
  local file_port=$CG_PORT
  CG_PORT=$(free_port)
  cg_launch run --config "$CG_TMP/c.yaml" --listen "127.0.0.1:$CG_PORT" --default-cert alpha
  assert_served "" cg-alpha
  port_closed "$file_port" || fail "certgate also listens on the config file's address $file_port although --listen was given"
  note "ok: the config file's listen address is not used"
}

case_relative_paths_from_config_dir() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port)
  mkdir -p "$CG_TMP/conf"
  printf 'listen: 127.0.0.1:%s\nupstream: 127.0.0.1:%s\ncert-dir: ../certs\n' "$CG_PORT" "$UP_PORT" > "$CG_TMP/conf/c.yaml"
  cd / || fail "cd /"
  cg_launch run --config "$CG_TMP/conf/c.yaml"
  assert_served alpha.test cg-alpha
}

case_certs_key_in_yaml() {
  up_start http
  CG_PORT=$(free_port)
  mkdir -p "$CG_TMP/files"
  cp "$CG_PKI/flag.crt" "$CG_TMP/files/site-one.crt"; cp "$CG_PKI/flag.key" "$CG_TMP/files/one.key"
  cat > "$CG_TMP/c.yaml" <<EOF
listen: 127.0.0.1:$CG_PORT
upstream: 127.0.0.1:$UP_PORT
certs:
  - cert: $CG_TMP/files/site-one.crt
    key: $CG_TMP/files/one.key
EOF
  local out
  out=$("$CG_BIN" check --config "$CG_TMP/c.yaml" 2>&1) || fail "check --config with certs: failed: $out"
  assert_match "$out" '^site-one names=flag\.test ' "check output"
  cg_launch run --config "$CG_TMP/c.yaml"
  assert_served flag.test cg-flag
}

# silent_client_dropped_after_1500ms WHAT : a client that sends nothing is dropped after about 1.5 s.
silent_client_dropped_after_1500ms() {
  local t0 ms
  t0=$(now_ms)
  "$PY" "$CLIENT_PY" garbage --port "$CG_PORT" --kind silent --expect-close 6 \
    || fail "a silent client was not dropped within 6 s ($1)"
  ms=$(( $(now_ms) - t0 ))
  [ "$ms" -ge 1200 ] || fail "silent client dropped after $ms ms, before the 1500 ms handshake timeout ($1)"
  note "ok: silent client dropped after $ms ms ($1)"
}

case_durations_from_config() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port); admin_init
  write_config "$CG_TMP/c.yaml"
  cg_launch run --config "$CG_TMP/c.yaml"
  silent_client_dropped_after_1500ms "handshake-timeout: 1500ms in the file"
}

case_durations_as_people_write_them() {
  up_start http
  std_certs "$CG_TMP/certs"
  CG_PORT=$(free_port); admin_init
  write_config "$CG_TMP/c.yaml"
  # A bare YAML number is seconds, fractions included.
  sed -i 's/^handshake-timeout: .*/handshake-timeout: 1.5/' "$CG_TMP/c.yaml"
  cg_launch run --config "$CG_TMP/c.yaml" --connect-timeout 1m30s --idle-timeout 2.5m
  silent_client_dropped_after_1500ms "handshake-timeout: 1.5 in the file"
  cg_stop
  CG_PORT=$(free_port)
  write_config "$CG_TMP/c.yaml"
  cg_launch run --config "$CG_TMP/c.yaml" --handshake-timeout 1.5s
  silent_client_dropped_after_1500ms "--handshake-timeout 1.5s"
}

case_upstream_given_by_hostname() {
  up_start http
  std_certs "$CG_TMP/certs"
  cg_start --upstream "localhost:$UP_PORT" --cert-dir "$CG_TMP/certs"
  assert_hello alpha.test
}

run_cases "$@"
