#!/usr/bin/env bash
# The Kubernetes kit, deploy/kubernetes/: a kustomize base and the overlays sidecar and standalone.
# Checks, in order:
#   1. base/prometheusrule.yaml is exactly what render-prometheusrule.py makes of
#      config/prometheus/alerts.yaml (one source, no hand-edited copy);
#   2. each overlay renders with `kubectl kustomize` of kubectl 1.20 (Debian's kubernetes-client,
#      kustomize v2.0.3: the oldest the kit supports), and, where another kubectl is on PATH, renders to
#      the same objects with it too (up to the ConfigMap's hash suffix, which kustomize versions compute
#      differently);
#   3. `kubernetes-validate --strict` finds no error in either rendering, against Kubernetes 1.37 and
#      1.25, and warns only that it has no schema for the three CRD kinds; a Deployment with an unknown
#      field must fail the same command (so a pass means something);
#      the same for a user's overlay on standalone as docs/deployment.md shows it (namespace, image,
#      a Certificate patch), which must land where the docs say;
#   4. kubernetes_check.py: the CRD kinds against small schemas of their required fields, and what the
#      kit promises (securityContext, probes, grace period, secrets, selectors, certgate keys, ...);
#   5. with CERTGATE_BIN (scripts/test sets it): `certgate check` on each overlay's certgate.yaml and
#      CERTGATE_* variables, with a throwaway certificate, token and ticket key in place of the Secrets
#      (check must report the key, and fail on the pod's ticket-keys path without it), and every key
#      in `certgate run --help`;
#   6. rotate-secret.sh, with kubectl 1.20 making the Secrets and `kubectl apply` captured: admin-token,
#      tls, and ticket-keys init / stage / promote / drop against a fake cluster's Secret (the layout
#      of each step, the refusals, no key on a kubectl command line).
# Tools land under .build-deploy/ (ignored): the kubernetes-client package unpacked (apt-get download,
# so it does not clash with another kubectl), kubernetes-validate in a virtual environment (pip).
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KIT="$ROOT/deploy/kubernetes"
TOOLS="$ROOT/.build-deploy/kubernetes"
KUBECTL="$TOOLS/kubernetes-client/usr/bin/kubectl"
VENV="$TOOLS/venv"
TMP=$(mktemp -d /tmp/cgk8s.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}
skip() {
    echo "$*"
    exit 77
}
ok() { echo "ok: $*"; }

# --- tools ---------------------------------------------------------------------------------------
mkdir -p "$TOOLS"
if [ ! -x "$KUBECTL" ]; then
    command -v apt-get >/dev/null || skip "no apt-get to fetch kubectl 1.20 (Debian's kubernetes-client)"
    (cd "$TOOLS" && rm -f kubernetes-client_*.deb \
        && { apt-get download kubernetes-client >/dev/null 2>&1 \
            || { apt-get update >/dev/null 2>&1 && apt-get download kubernetes-client >/dev/null 2>&1; }; }) \
        || skip "apt-get download kubernetes-client failed (no Debian mirror reachable?)"
    dpkg-deb -x "$TOOLS"/kubernetes-client_*.deb "$TOOLS/kubernetes-client" || fail "cannot unpack kubernetes-client"
    rm -f "$TOOLS"/kubernetes-client_*.deb
fi
"$KUBECTL" version --client 2>/dev/null | grep -q 'Minor:"20"' || fail "$KUBECTL is not kubectl 1.20"
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
    python3 -m venv "$VENV" >/dev/null || skip "python3 -m venv failed (install python3-venv)"
    "$VENV/bin/pip" install --quiet kubernetes-validate jsonschema pyyaml >/dev/null 2>&1 \
        || skip "pip install kubernetes-validate failed (PyPI not reachable?)"
fi
PY="$VENV/bin/python"
ok "kubectl $("$KUBECTL" version --client -o yaml | sed -n 's/^ *gitVersion: //p'), kubernetes-validate $("$VENV/bin/kubernetes-validate" --version)"

# --- 1. PrometheusRule from alerts.yaml ---------------------------------------------------------------
"$PY" "$KIT/render-prometheusrule.py" --check || fail "base/prometheusrule.yaml is not the generator's output"
"$PY" "$KIT/render-prometheusrule.py" --stdout >"$TMP/rule.yaml" || fail "render-prometheusrule.py --stdout failed"
cmp -s "$TMP/rule.yaml" "$KIT/base/prometheusrule.yaml" || fail "--stdout differs from the checked-in file"

# --- 2. render --------------------------------------------------------------------------------------
# same_objects A B: the same objects in both files, the ConfigMap hash suffix aside.
same_objects() {
    "$PY" - "$1" "$2" <<'EOF'
import re, sys, yaml
def load(path):
    text = re.sub(r"(certgate-config)-[a-z0-9]{8,10}\b", r"\1-HASH", open(path).read())
    return sorted((yaml.safe_load_all(text)), key=lambda d: (d["kind"], d["metadata"]["name"]))
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print("differ:", [(x["kind"], x["metadata"]["name"]) for x, y in zip(a, b) if x != y] or "object lists")
    sys.exit(1)
EOF
}

other_kubectl=$(command -v kubectl || true)
for overlay in sidecar standalone; do
    out="$TMP/$overlay.yaml"
    "$KUBECTL" kustomize "$KIT/overlays/$overlay" >"$out" 2>"$TMP/err" \
        || fail "kubectl 1.20 kustomize overlays/$overlay: $(cat "$TMP/err")"
    ok "overlays/$overlay renders with kubectl 1.20: $(grep -c '^kind:' "$out") objects"
    if [ -n "$other_kubectl" ] && [ "$(readlink -f "$other_kubectl")" != "$(readlink -f "$KUBECTL")" ]; then
        version=$("$other_kubectl" version --client 2>/dev/null | head -n 1)
        "$other_kubectl" kustomize "$KIT/overlays/$overlay" >"$TMP/$overlay.other.yaml" 2>"$TMP/err" \
            || fail "$other_kubectl ($version) kustomize overlays/$overlay: $(cat "$TMP/err")"
        same_objects "$out" "$TMP/$overlay.other.yaml" \
            || fail "overlays/$overlay renders differently with $other_kubectl ($version)"
        ok "overlays/$overlay renders the same objects with $other_kubectl ($version)"
    fi
done
# A user's overlay on top of standalone, as docs/deployment.md shows it: namespace, image, Certificate.
mkdir -p "$TMP/user"
cat >"$TMP/user/kustomization.yaml" <<EOF
namespace: web
bases:
  - $(realpath --relative-to="$TMP/user" "$KIT/overlays/standalone")
images:
  - name: certgate
    newName: registry.example.com/certgate
    newTag: "1.0.0"
patchesStrategicMerge:
  - certificate.yaml
EOF
printf '%s\n' 'apiVersion: cert-manager.io/v1' 'kind: Certificate' 'metadata:' '  name: certgate' 'spec:' \
    '  dnsNames: [api.example.org]' '  issuerRef: {name: letsencrypt, kind: ClusterIssuer}' >"$TMP/user/certificate.yaml"
"$KUBECTL" kustomize "$TMP/user" >"$TMP/user.yaml" 2>"$TMP/err" || fail "kubectl 1.20 kustomize of a user overlay: $(cat "$TMP/err")"
"$PY" - "$TMP/user.yaml" <<'EOF' || fail "the user overlay did not apply as docs/deployment.md says"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert all(d["metadata"].get("namespace") == "web" for d in docs), "an object outside namespace web"
pod = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
assert pod["containers"][0]["image"] == "registry.example.com/certgate:1.0.0", pod["containers"][0]["image"]
cert = next(d for d in docs if d["kind"] == "Certificate")["spec"]
assert cert["dnsNames"] == ["api.example.org"] and cert["issuerRef"]["name"] == "letsencrypt", cert
assert cert["secretName"] == "certgate-tls", cert
EOF
cp "$TMP/user.yaml" "$TMP/user-standalone.yaml"
ok "a user overlay (namespace, image, Certificate patch) on standalone renders with kubectl 1.20"

# --- 3. kubernetes-validate --strict -------------------------------------------------------------------
expected_warning="Couldn't find schema for kind (Certificate|ServiceMonitor|PrometheusRule) with api version"
for overlay in sidecar standalone user-standalone; do
    for version in 1.37.0 1.25.0; do
        "$VENV/bin/kubernetes-validate" --strict -k "$version" "$TMP/$overlay.yaml" >"$TMP/validate" 2>&1
        status=$?
        sed "s|$TMP/||" "$TMP/validate"
        ((status == 0)) || fail "kubernetes-validate --strict -k $version: exit $status for overlays/$overlay"
        grep -v ' passed for resource ' "$TMP/validate" | grep -Ev "$expected_warning" | grep . \
            && fail "kubernetes-validate --strict -k $version: unexpected output for overlays/$overlay"
        passed=$(grep -c ' passed for resource ' "$TMP/validate")
        ((passed == 6)) || fail "kubernetes-validate validated $passed objects of overlays/$overlay, expected 6"
    done
    ok "$overlay: kubernetes-validate --strict passes, Kubernetes 1.37 and 1.25"
done
sed 's/^\( *\)enableServiceLinks: false$/&\n\1enableServiceLink: false/' "$TMP/standalone.yaml" >"$TMP/broken.yaml"
cmp -s "$TMP/broken.yaml" "$TMP/standalone.yaml" && fail "could not plant the misspelt field"
"$VENV/bin/kubernetes-validate" --strict --quiet "$TMP/broken.yaml" >"$TMP/validate" 2>&1 \
    && fail "kubernetes-validate --strict accepts a misspelt pod field"
grep -q "'enableServiceLink' was unexpected" "$TMP/validate" || fail "unexpected answer: $(cat "$TMP/validate")"
ok "a misspelt pod field fails kubernetes-validate --strict"

# --- 4. CRD schemas and the kit's promises -----------------------------------------------------------
BIN=${CERTGATE_BIN:-}
help_keys=()
if [ -n "$BIN" ]; then
    [ -x "$BIN" ] || fail "CERTGATE_BIN=$BIN is not executable"
    "$BIN" run --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sed 's/^--//' | sort -u >"$TMP/help-keys"
    [ "$(wc -l <"$TMP/help-keys")" -gt 30 ] || fail "certgate run --help lists $(wc -l <"$TMP/help-keys") flags"
    help_keys=("$TMP/help-keys")
fi
for overlay in sidecar standalone user-standalone; do
    echo "--- $overlay"
    "$PY" "$ROOT/Tests/deploy/kubernetes_check.py" "${overlay#user-}" "$TMP/$overlay.yaml" "${help_keys[@]}" \
        || fail "$overlay: kubernetes_check.py"
    # The shared ticket keys, whatever certgate.yaml says: Secret certgate-ticket-keys as a directory.
    "$PY" - "$TMP/$overlay.yaml" <<'EOF' || fail "$overlay: the certgate container does not mount Secret certgate-ticket-keys at /etc/certgate/tickets"
import sys, yaml
pod = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Deployment")["spec"]["template"]["spec"]
volume = next(v["name"] for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "certgate-ticket-keys")
certgate = next(c for c in pod["containers"] if c["name"] == "certgate")
mount = next(m for m in certgate["volumeMounts"] if m["name"] == volume)
assert mount["mountPath"] == "/etc/certgate/tickets" and mount.get("readOnly") and "subPath" not in mount, mount
EOF
    ok "$overlay: Secret certgate-ticket-keys mounted read-only at /etc/certgate/tickets"
done

# --- 5. certgate check on the pod's configuration ------------------------------------------------------
pki="$TMP/pki"
mkdir -p "$pki/certs/certgate-tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=app.example.com \
    -addext subjectAltName=DNS:app.example.com -keyout "$pki/certs/certgate-tls/tls.key" \
    -out "$pki/certs/certgate-tls/tls.crt" >/dev/null 2>&1 || fail "openssl could not make a test certificate"
openssl rand -hex 32 >"$pki/token"
mkdir -p "$pki/tickets"
(umask 077 && openssl rand 80 | base64 -w0 >"$pki/tickets/ticket.keys" && echo >>"$pki/tickets/ticket.keys")
if [ -n "$BIN" ]; then
    for overlay in sidecar standalone; do
        config="$TMP/$overlay.yaml.config"
        mapfile -t env_vars <"$TMP/$overlay.yaml.env"
        # The Secrets' paths are the pod's; the upstream's name (standalone: a Service) does not resolve
        # here, so a name is replaced by 127.0.0.1 with the same port.
        flags=(--cert-dir "$pki/certs" --admin-token-file "$pki/token" --ticket-keys "$pki/tickets/ticket.keys")
        for var in "${env_vars[@]}"; do
            if [[ $var == CERTGATE_UPSTREAM=* && ! $var =~ =[0-9.]+: ]]; then
                flags+=(--upstream "127.0.0.1:${var##*:}")
            fi
        done
        env -i PATH="$PATH" "${env_vars[@]}" "$BIN" check --config "$config" "${flags[@]}" >"$TMP/check" 2>&1 \
            || fail "overlays/$overlay: certgate check --config certgate.yaml ${env_vars[*]} ${flags[*]}: $(cat "$TMP/check")"
        grep -qx "ticket key file $pki/tickets/ticket.keys: 1 key" "$TMP/check" \
            || fail "overlays/$overlay: certgate check did not read the ticket keys: $(cat "$TMP/check")"
        ok "overlays/$overlay: certgate check passes on the pod's certgate.yaml and ${env_vars[*]} (1 ticket key read)"
        # The pod's path comes from certgate.yaml: without the flag, check must look for it there.
        if [ ! -e /etc/certgate/tickets/ticket.keys ]; then
            env -i PATH="$PATH" "${env_vars[@]}" "$BIN" check --config "$config" "${flags[@]:0:4}" "${flags[@]:6}" >"$TMP/check" 2>&1 \
                && fail "overlays/$overlay: certgate check passes without the ticket keys file"
            grep -q -- "--ticket-keys /etc/certgate/tickets/ticket.keys" "$TMP/check" \
                || fail "overlays/$overlay: certgate check without the ticket keys said: $(cat "$TMP/check")"
            ok "overlays/$overlay: certgate.yaml's ticket-keys is /etc/certgate/tickets/ticket.keys (check fails without it)"
        fi
    done
else
    echo "note: CERTGATE_BIN is not set: certgate check and the --help keys were not run (keys checked against docs/configuration.md)"
fi

# --- 6. rotate-secret.sh ---------------------------------------------------------------------------
# A kubectl that makes Secrets with kubectl 1.20 (client-side dry run, no cluster), saves what
# `apply -f -` gets (applied.yaml, and as the Secret's state in secrets/), answers `get secret NAME`
# (-o name, -o jsonpath={.data.KEY}, --ignore-not-found) from that state, and logs every command line
# (kubectl.log).
mkdir -p "$TMP/fakebin" "$TMP/secrets"
cat >"$TMP/fakebin/secrets.py" <<'EOF'
import os, sys, yaml
store = sys.argv[1]
if sys.argv[2] == "apply":  # secrets.py STORE apply FILE
    d = yaml.safe_load(open(sys.argv[3]))
    assert d["kind"] == "Secret", d["kind"]
    with open(f"{store}/{d['metadata'].get('namespace') or 'default'}.{d['metadata']['name']}.yaml", "w") as f:
        yaml.safe_dump(d, f)
    sys.exit(0)
args, namespace, output, ignore, words = sys.argv[3:], "default", None, False, []
while args:  # secrets.py STORE get KUBECTL-ARGS...
    arg = args.pop(0)
    if arg in ("-n", "--namespace"):
        namespace = args.pop(0)
    elif arg == "-o":
        output = args.pop(0)
    elif arg == "--ignore-not-found":
        ignore = True
    elif arg.startswith("-"):
        sys.exit(f"fake kubectl: unexpected flag {arg}")
    else:
        words.append(arg)
if words[:2] != ["get", "secret"] or len(words) != 3:
    sys.exit(f"fake kubectl: cannot answer {words}")
name = words[2]
path = f"{store}/{namespace}.{name}.yaml"
if not os.path.exists(path):
    if ignore:
        sys.exit(0)
    sys.exit(f'Error from server (NotFound): secrets "{name}" not found')
d = yaml.safe_load(open(path))
if output == "name":
    print(f"secret/{name}")
elif output and output.startswith("jsonpath={.data.") and output.endswith("}"):
    key = output[len("jsonpath={.data."):-1].replace("\\.", ".")
    if key not in d.get("data", {}):
        sys.exit(f"error: error executing jsonpath {output!r}: {key} is not found")
    sys.stdout.write(d["data"][key])
else:
    sys.exit(f"fake kubectl: unexpected output {output}")
EOF
cat >"$TMP/fakebin/kubectl" <<EOF
#!/usr/bin/env bash
echo "\$*" >>"$TMP/kubectl.log"
for arg in "\$@"; do
    [[ \$arg == apply ]] && { echo "\$*" >"$TMP/applied.args"; cat >"$TMP/applied.yaml"; exec "$PY" "$TMP/fakebin/secrets.py" "$TMP/secrets" apply "$TMP/applied.yaml"; }
    [[ \$arg == get ]] && exec "$PY" "$TMP/fakebin/secrets.py" "$TMP/secrets" get "\$@"
done
KUBECONFIG=/nonexistent exec "$KUBECTL" "\$@" 2>/dev/null
EOF
chmod +x "$TMP/fakebin/kubectl"
rotate() { PATH="$TMP/fakebin:$PATH" "$KIT/rotate-secret.sh" "$@"; }
secret_field() { # secret_field FIELD: the base64-decoded data field of the applied Secret
    "$PY" -c 'import base64, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace") or "-", d.get("type") or "-", base64.b64decode(d["data"][sys.argv[2]]).decode().strip())' "$TMP/applied.yaml" "$1"
}
rotate -n web admin-token 2>/dev/null || fail "rotate-secret.sh admin-token failed"
read -r kind name namespace _ token1 <<<"$(secret_field token)"
[[ "$kind $name $namespace" == "Secret certgate-admin-token web" ]] || fail "admin-token applied $kind $name in $namespace"
[[ $token1 =~ ^[0-9a-f]{64}$ ]] || fail "admin-token: the token is not 64 hex digits"
grep -q -- '--namespace web' "$TMP/applied.args" || fail "admin-token: apply without the namespace"
rotate -n web admin-token 2>/dev/null || fail "rotate-secret.sh admin-token failed the second time"
read -r _ _ _ _ token2 <<<"$(secret_field token)"
[[ $token2 =~ ^[0-9a-f]{64}$ && $token2 != "$token1" ]] || fail "admin-token: a second rotation did not change the token"
ok "rotate-secret.sh admin-token applies Secret certgate-admin-token with a new 64-hex-digit token each time"
rm -f "$TMP/applied.yaml"
rotate tls "$pki/certs/certgate-tls/tls.crt" "$pki/certs/certgate-tls/tls.key" 2>/dev/null || fail "rotate-secret.sh tls failed"
read -r kind name _ type _ <<<"$(secret_field tls.crt)"
[[ "$kind $name $type" == "Secret certgate-tls kubernetes.io/tls" ]] || fail "tls applied $kind $name $type"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
    -keyout "$TMP/other.key" -out "$TMP/other.crt" >/dev/null 2>&1
rm -f "$TMP/applied.yaml"
rotate tls "$pki/certs/certgate-tls/tls.crt" "$TMP/other.key" 2>/dev/null && fail "rotate-secret.sh tls took a foreign key"
[ ! -e "$TMP/applied.yaml" ] || fail "rotate-secret.sh tls applied a mismatched pair"
ok "rotate-secret.sh tls applies a kubernetes.io/tls Secret and refuses a key of another certificate"

# ticket-keys: init, then a whole rotation (stage, promote, drop), each step's layout checked in the
# Secret the fake cluster holds; the refusals leave it as it was; no key on any kubectl command line.
tickets="$TMP/secrets/web.certgate-ticket-keys.yaml"
ticket_lines() { # the Secret's ticket.keys, one key a line; fails unless each is the base64 of 80 bytes
    "$PY" - "$tickets" <<'EOF'
import base64, binascii, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "Secret" and d["metadata"]["name"] == "certgate-ticket-keys" and d["metadata"]["namespace"] == "web", d["metadata"]
assert list(d["data"]) == ["ticket.keys"], list(d["data"])
text = base64.b64decode(d["data"]["ticket.keys"], validate=True).decode()
assert text.endswith("\n") and "\r" not in text and "\n\n" not in text, repr(text)
for n, line in enumerate(text.splitlines(), 1):
    try:
        size = len(base64.b64decode(line, validate=True))
    except binascii.Error as error:
        sys.exit(f"line {n}: not base64: {error}")
    if size != 80:
        sys.exit(f"line {n}: {size} bytes, not 80")
    print(line)
EOF
}
ticket_step() { # ticket_step STEP...: runs it, keeping its messages; fails on an error
    rotate -n web ticket-keys "$@" 2>"$TMP/step.err" || fail "rotate-secret.sh ticket-keys $*: $(cat "$TMP/step.err")"
    cat "$TMP/step.err" >>"$TMP/messages"
    ticket_lines >"$TMP/ticket.keys" 2>"$TMP/lines.err" \
        || fail "ticket-keys $*: the Secret's ticket.keys is not one 80-byte key a line: $(tail -n 1 "$TMP/lines.err")"
    chmod 600 "$TMP/ticket.keys"
    mapfile -t keys <"$TMP/ticket.keys"
    if [ -n "$BIN" ]; then # certgate takes the file as the pods would see it
        "$BIN" check --listen 127.0.0.1:8443 --cert-dir "$pki/certs" --upstream 127.0.0.1:8080 \
            --ticket-keys "$TMP/ticket.keys" >"$TMP/check" 2>&1 || fail "ticket-keys $*: certgate check: $(cat "$TMP/check")"
        grep -qE "^ticket key file $TMP/ticket.keys: ${#keys[@]} keys?$" "$TMP/check" \
            || fail "ticket-keys $*: certgate check read another number of keys: $(cat "$TMP/check")"
    fi
}
ticket_refused() { # ticket_refused WHY STEP...: the step fails and the Secret does not change
    cp "$tickets" "$TMP/before.yaml" 2>/dev/null || rm -f "$TMP/before.yaml"
    rotate -n web ticket-keys "${@:2}" 2>"$TMP/step.err" && fail "rotate-secret.sh ticket-keys ${*:2} ran $1"
    if [ -e "$TMP/before.yaml" ]; then
        cmp -s "$tickets" "$TMP/before.yaml" || fail "rotate-secret.sh ticket-keys ${*:2} changed the Secret $1"
    else
        [ ! -e "$tickets" ] || fail "rotate-secret.sh ticket-keys ${*:2} made the Secret $1"
    fi
    grep -q . "$TMP/step.err" || fail "rotate-secret.sh ticket-keys ${*:2} refused $1 without a word"
}
: >"$TMP/kubectl.log"
: >"$TMP/messages"
ticket_refused "with no Secret" stage
ticket_refused "with no Secret" promote
ticket_refused "with no Secret" drop
ticket_step init
((${#keys[@]} == 1)) || fail "ticket-keys init: ${#keys[@]} keys, not 1"
old=${keys[0]}
grep -q -- '--namespace web' "$TMP/applied.args" || fail "ticket-keys init: apply without the namespace"
ok "rotate-secret.sh ticket-keys init: Secret certgate-ticket-keys in web with 1 key of 80 bytes"
ticket_refused "over an existing Secret" init
ticket_refused "with 1 key" promote
ticket_refused "with 1 key" drop
ok "ticket-keys init refuses an existing Secret; promote and drop refuse 1 key; stage, promote, drop refuse no Secret"
ticket_step stage
[[ ${#keys[@]} -eq 2 && ${keys[0]} == "$old" && ${keys[1]} != "$old" ]] \
    || fail "ticket-keys stage: expected the old key then a new one, got ${#keys[@]} key(s) (old key at line 1: $([[ ${keys[0]} == "$old" ]] && echo yes || echo no))"
new=${keys[1]}
ticket_refused "with 2 keys" stage
ok "ticket-keys stage: line 1 the old key (still encrypts), line 2 a new one; a second stage is refused"
ticket_step promote
[[ ${#keys[@]} -eq 2 && ${keys[0]} == "$new" && ${keys[1]} == "$old" ]] || fail "ticket-keys promote: not the new key then the old one"
ok "ticket-keys promote: line 1 the new key, line 2 the old one"
ticket_step drop
[[ ${#keys[@]} -eq 1 && ${keys[0]} == "$new" ]] || fail "ticket-keys drop: not the new key alone"
ok "ticket-keys drop: only the new key is left"
ticket_step init --force
[[ ${#keys[@]} -eq 1 && ${keys[0]} != "$new" && ${keys[0]} != "$old" ]] || fail "ticket-keys init --force: not 1 fresh key"
forced=${keys[0]}
ok "ticket-keys init --force replaces the Secret with 1 fresh key"
# A Secret whose file certgate would refuse: stage changes nothing.
"$PY" - "$tickets" <<'EOF'
import base64, os, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d["data"]["ticket.keys"] = base64.b64encode(base64.b64encode(os.urandom(48)) + b"\n").decode()
yaml.safe_dump(d, open(sys.argv[1], "w"))
EOF
ticket_refused "on a 48-byte key" stage
ok "ticket-keys stage refuses a Secret whose key is not 80 bytes"
for key in "$old" "$new" "$forced"; do
    grep -qF -- "$key" "$TMP/kubectl.log" && fail "a ticket key is on a kubectl command line (kubectl.log lines $(grep -nF -- "$key" "$TMP/kubectl.log" | cut -d: -f1 | paste -sd,))"
    grep -qF -- "$key" "$TMP/messages" && fail "rotate-secret.sh printed a ticket key"
done
grep -c . "$TMP/kubectl.log" >/dev/null || fail "the fake kubectl logged no call"
for step in stage promote drop; do
    grep -q "ticket-keys $step" "$TMP/messages" || fail "no step says to run ticket-keys $step next"
done
{ grep -q "within about a minute" "$TMP/messages" && grep -q "ticket-lifetime" "$TMP/messages"; } \
    || fail "the steps do not say what to wait for (the kubelet's minute, ticket-lifetime)"
ok "no ticket key on any of $(grep -c . "$TMP/kubectl.log") kubectl command lines nor in the messages; each step names the wait and the next step"
echo "kubernetes kit: all checks passed"
