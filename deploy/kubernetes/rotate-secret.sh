#!/usr/bin/env bash
# Create or replace the Secrets of the Kubernetes kit that cert-manager does not manage, in one
# `kubectl apply` each, so the mounted files change by one atomic `..data` swap:
#
#   rotate-secret.sh [-n NAMESPACE] admin-token              # a new random token in certgate-admin-token
#   rotate-secret.sh [-n NAMESPACE] tls CERT_FILE KEY_FILE   # a key pair into certgate-tls (no cert-manager)
#
# SECRET=name overrides the Secret's name. The token never appears in a command line (it goes through a
# file only this user can read). The tls form refuses a key that does not belong to the certificate.
# What happens next: the kubelet updates the mounted files within about a minute (its sync period plus
# its cache), certgate takes the new token within 2 s of that and the new certificate within about
# 150 ms; no pod restarts. docs/deployment.md ("Kubernetes") describes the whole procedure.
set -euo pipefail

usage() {
    sed -n '5,6s/^#   //p' "$0" >&2
    exit 64
}

namespace=()
if [[ ${1:-} == -n ]]; then
    [[ $# -ge 2 ]] || usage
    namespace=(--namespace "$2")
    shift 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
umask 077

apply_secret() { # apply_secret NAME KUBECTL-CREATE-SECRET-ARGS...
    local name=$1
    shift
    kubectl "${namespace[@]}" create secret "$@" "$name" --dry-run=client -o yaml \
        | kubectl "${namespace[@]}" apply -f -
}

case ${1:-} in
admin-token)
    [[ $# -eq 1 ]] || usage
    openssl rand -hex 32 >"$scratch/token"
    apply_secret "${SECRET:-certgate-admin-token}" generic --from-file=token="$scratch/token"
    echo "rotated the admin token; Prometheus (the ServiceMonitor) picks up the new one from the same Secret" >&2
    ;;
tls)
    [[ $# -eq 3 ]] || usage
    cert=$2 key=$3
    cert_key=$(openssl x509 -in "$cert" -noout -pubkey) || { echo "$cert: not a PEM certificate" >&2; exit 1; }
    key_key=$(openssl pkey -in "$key" -pubout) || { echo "$key: not a PEM private key" >&2; exit 1; }
    if [[ $cert_key != "$key_key" ]]; then
        echo "$key does not belong to $cert: nothing changed" >&2
        exit 1
    fi
    openssl x509 -in "$cert" -noout -checkend 0 >/dev/null || { echo "$cert has expired: nothing changed" >&2; exit 1; }
    apply_secret "${SECRET:-certgate-tls}" tls --cert="$cert" --key="$key"
    ;;
*)
    usage
    ;;
esac
