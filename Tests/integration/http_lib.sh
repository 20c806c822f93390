# shellcheck shell=bash
# Helpers shared by the HTTP test files (test_forward_headers.sh, test_http2.sh): the raw HTTP/1.1 test
# upstream (http_upstream.py) and its log, JSON queries, and the X-Forwarded-* assertion. Sourced after
# lib.sh.

HTTP_UPSTREAM_PY="$IT_DIR/http_upstream.py"
UP_LOG=""

# fh_up_start : the raw HTTP upstream on $UP_PORT (picked if empty), logging to $UP_LOG.
fh_up_start() {
  [ -n "$UP_PORT" ] || UP_PORT=$(free_port)
  UP_LOG="$CG_TMP/up.log"
  : > "$UP_LOG"
  "$PY" "$HTTP_UPSTREAM_PY" --port "$UP_PORT" --log "$UP_LOG" >>"$CG_TMP/upstream.log" 2>&1 &
  _register_aux $!
  wait_port "$UP_PORT" 10 $! || { cat "$CG_TMP/upstream.log"; fail "http upstream did not start on $UP_PORT"; }
}

# fh_cg [certgate args] : certgate (admin on) in front of $UP_PORT with the std certificates.
fh_cg() {
  std_certs "$CG_TMP/certs"
  admin_init
  cg_start --upstream "127.0.0.1:$UP_PORT" --cert-dir "$CG_TMP/certs" --admin "127.0.0.1:$CG_ADMIN" "$@"
}

# q JSON EXPR : evaluate the Python expression EXPR with r = the parsed JSON (JSON "@FILE": read from
# FILE); prints the result (lists one item a line, None as empty).
q() {
  "$PY" -c '
import json, sys
a = sys.argv[1]
r = json.load(open(a[1:])) if a.startswith("@") else json.loads(a)
v = eval(sys.argv[2])
if isinstance(v, list): print("\n".join(str(x) for x in v))
elif v is None: print("")
elif isinstance(v, bool): print("true" if v else "false")
else: print(v)' "$1" "$2"
}

# uplog EXPR : EXPR evaluated with E = the list of upstream events (q's output conventions).
uplog() {
  "$PY" -c '
import json, sys
E = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v = eval(sys.argv[2])
if isinstance(v, list): print("\n".join(str(x) for x in v))
elif v is None: print("")
elif isinstance(v, bool): print("true" if v else "false")
else: print(v)' "$UP_LOG" "$1"
}

# field_values HEAD NAME : the values of every field line of the raw HEAD whose name is NAME, compared
# case-insensitively with "_" taken as "-" (one line each, in order).
field_values() {
  "$PY" -c '
import sys
want = sys.argv[2].lower()
for line in sys.argv[1].split("\r\n")[1:]:
    name, sep, value = line.partition(":")
    if sep and name.lower().replace("_", "-") == want: print(value.strip())' "$1" "$2"
}

# assert_forwarded JSON EXPR WHAT [XFCC] : in the raw head that EXPR (q's conventions) picks out of JSON,
# exactly one of each field certgate sets, with certgate's values; no X-Forwarded-Client-Cert unless XFCC
# is given (then exactly that). Names compared case-insensitively, "_" taken as "-". One python run.
assert_forwarded() {
  local want got
  want="X-Forwarded-For=[127.0.0.1] X-Forwarded-Proto=[https] X-Forwarded-Port=[$CG_PORT] X-Forwarded-Client-Cert=[${4:-}]"
  got=$("$PY" -c '
import json, sys
r = json.loads(sys.argv[1])
head = eval(sys.argv[2])
vals = {}
for line in head.split("\r\n")[1:]:
    name, sep, value = line.partition(":")
    if sep: vals.setdefault(name.lower().replace("_", "-"), []).append(value.strip())
out = []
for n in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Client-Cert"):
    out.append("%s=[%s]" % (n, "][".join(vals.get(n.lower(), []))))
print(" ".join(out))' "$1" "$2")
  assert_eq "$want" "$got" "$3: the four X-Forwarded-* fields (each once, certgate's values)"
}
