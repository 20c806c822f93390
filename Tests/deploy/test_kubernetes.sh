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
#      CERTGATE_* variables, with a throwaway certificate and token in place of the Secrets, and every
#      key in `certgate run --help`;
#   6. rotate-secret.sh, with kubectl 1.20 making the Secrets and `kubectl apply` captured.
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
done

# --- 5. certgate check on the pod's configuration ------------------------------------------------------
pki="$TMP/pki"
mkdir -p "$pki/certs/certgate-tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=app.example.com \
    -addext subjectAltName=DNS:app.example.com -keyout "$pki/certs/certgate-tls/tls.key" \
    -out "$pki/certs/certgate-tls/tls.crt" >/dev/null 2>&1 || fail "openssl could not make a test certificate"
openssl rand -hex 32 >"$pki/token"
if [ -n "$BIN" ]; then
    for overlay in sidecar standalone; do
        config="$TMP/$overlay.yaml.config"
        mapfile -t env_vars <"$TMP/$overlay.yaml.env"
        # The Secrets' paths are the pod's; the upstream's name (standalone: a Service) does not resolve
        # here, so a name is replaced by 127.0.0.1 with the same port.
        flags=(--cert-dir "$pki/certs" --admin-token-file "$pki/token")
        for var in "${env_vars[@]}"; do
            if [[ $var == CERTGATE_UPSTREAM=* && ! $var =~ =[0-9.]+: ]]; then
                flags+=(--upstream "127.0.0.1:${var##*:}")
            fi
        done
        env -i PATH="$PATH" "${env_vars[@]}" "$BIN" check --config "$config" "${flags[@]}" >"$TMP/check" 2>&1 \
            || fail "overlays/$overlay: certgate check --config certgate.yaml ${env_vars[*]} ${flags[*]}: $(cat "$TMP/check")"
        ok "overlays/$overlay: certgate check passes on the pod's certgate.yaml and ${env_vars[*]}"
    done
else
    echo "note: CERTGATE_BIN is not set: certgate check and the --help keys were not run (keys checked against docs/configuration.md)"
fi

# --- 6. rotate-secret.sh ---------------------------------------------------------------------------
# A kubectl that makes Secrets with kubectl 1.20 (client-side dry run, no cluster) and saves what
# `apply -f -` gets.
mkdir -p "$TMP/fakebin"
cat >"$TMP/fakebin/kubectl" <<EOF
#!/usr/bin/env bash
for arg in "\$@"; do [[ \$arg == apply ]] && { echo "\$*" >"$TMP/applied.args"; cat >"$TMP/applied.yaml"; exit 0; }; done
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
echo "kubernetes kit: all checks passed"
