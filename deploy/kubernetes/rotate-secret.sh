#!/usr/bin/env bash
# Create or replace the Secrets of the Kubernetes kit that cert-manager does not manage, in one
# `kubectl apply` each, so the mounted files change by one atomic `..data` swap:
#
#   rotate-secret.sh [-n NAMESPACE] admin-token                 # a new random token in certgate-admin-token
#   rotate-secret.sh [-n NAMESPACE] tls CERT_FILE KEY_FILE      # a key pair into certgate-tls (no cert-manager)
#   rotate-secret.sh [-n NAMESPACE] ticket-keys init [--force]  # certgate-ticket-keys with one new key
#   rotate-secret.sh [-n NAMESPACE] ticket-keys stage           # rotation 1/3: a new key as line 2 (decrypts)
#   rotate-secret.sh [-n NAMESPACE] ticket-keys promote         # rotation 2/3: line 2 becomes line 1 (encrypts)
#   rotate-secret.sh [-n NAMESPACE] ticket-keys drop            # rotation 3/3: remove the last line (old key)
#
# SECRET=name overrides the Secret's name. Tokens and keys never appear in a command line (they go
# through files only this user can read, and pipes). The tls form refuses a key that does not belong to
# the certificate. What happens next: the kubelet updates the mounted files within about a minute (its
# sync period plus its cache), certgate takes the new token within 2 s of that, the new certificate
# within about 150 ms, new ticket keys through the same inotify and stat() watch; no pod restarts.
# docs/deployment.md ("Kubernetes") describes the whole procedure.
#
# ticket-keys: the Secret's key `ticket.keys` holds one base64 line of 80 random bytes per key; the
# first line encrypts new session tickets, every line decrypts. A rotation is three runs, each after
# the wait the previous one prints: stage (every replica learns the new key before any uses it), promote
# (the new key encrypts, the old one still decrypts), drop (after ticket-lifetime: the old key's tickets
# have expired). `init` refuses to replace an existing Secret: that would throw away the keys of every
# ticket in circulation at once (clients fall back to full handshakes); --force does it anyway. stage
# wants exactly one key and promote exactly two, so a step cannot be repeated or skipped by mistake.
set -euo pipefail

usage() {
    sed -n '5,10s/^#   //p' "$0" >&2
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

# --- ticket-keys -----------------------------------------------------------------------------------
ticket_secret=${SECRET:-certgate-ticket-keys}
keys=() # the Secret's keys, in order
self="$0${namespace[*]:+ -n ${namespace[1]}}" # how to run the next step
propagation="the kubelet updates the file in every pod within about a minute, and certgate re-reads it on its file watch"

new_key() { # new_key: 80 random bytes, base64 on one line, into $scratch/new and $key (never an argument)
    openssl rand 80 | openssl base64 -A >"$scratch/new" # -A: one line, on Linux and macOS alike
    key=$(<"$scratch/new")
    valid_key "$key" || { echo "openssl made no 80-byte key: nothing changed" >&2; exit 1; }
}

valid_key() { # valid_key LINE: the base64 of exactly 80 bytes (108 characters, one '=')
    [[ $1 =~ ^[A-Za-z0-9+/]{107}=$ ]]
}

read_keys() { # the current keys of the Secret into keys[]; refuses a Secret that is missing or broken
    local line n=0
    kubectl "${namespace[@]}" get secret "$ticket_secret" -o 'jsonpath={.data.ticket\.keys}' >"$scratch/current.b64" \
        || { echo "cannot read Secret $ticket_secret (create it with: $self ticket-keys init)" >&2; exit 1; }
    openssl base64 -d -A <"$scratch/current.b64" >"$scratch/current" \
        || { echo "Secret $ticket_secret: ticket.keys is not base64" >&2; exit 1; }
    while IFS= read -r line || [[ -n $line ]]; do
        n=$((n + 1))
        line=${line%$'\r'}
        [[ -n $line ]] || continue # blank lines and CRLF line ends: ignored, as certgate does
        valid_key "$line" || { echo "Secret $ticket_secret: ticket.keys line $n is not the base64 of 80 bytes: nothing changed" >&2; exit 1; }
        keys+=("$line")
    done <"$scratch/current"
    ((${#keys[@]} > 0)) || { echo "Secret $ticket_secret has no ticket.keys (create it with: $self ticket-keys init)" >&2; exit 1; }
}

write_keys() { # write_keys KEY...: the Secret's ticket.keys becomes these lines, in one apply
    printf '%s\n' "$@" >"$scratch/ticket.keys" # printf is a builtin: the keys reach no command line
    apply_secret "$ticket_secret" generic --from-file=ticket.keys="$scratch/ticket.keys" >&2
}

ticket_keys() {
    case ${1:-} in
    init)
        [[ $# -eq 1 || ($# -eq 2 && $2 == --force) ]] || usage
        if [[ $# -eq 1 && -n $(kubectl "${namespace[@]}" get secret "$ticket_secret" --ignore-not-found -o name) ]]; then
            echo "Secret $ticket_secret exists: nothing changed. Rotate it with '$self ticket-keys stage';" \
                "'ticket-keys init --force' replaces every key at once (tickets in circulation stop resuming)" >&2
            exit 1
        fi
        new_key
        write_keys "$key"
        echo "Secret $ticket_secret: 1 new key. Pods waiting for it start; running ones pick it up: $propagation." \
            "To rotate it later (say monthly), three steps: $self ticket-keys stage" >&2
        ;;
    stage)
        [[ $# -eq 1 ]] || usage
        read_keys
        if ((${#keys[@]} != 1)); then
            echo "Secret $ticket_secret has ${#keys[@]} keys, stage wants 1: finish the last rotation first" \
                "('$self ticket-keys promote' if the new key is still line 2, else '... drop')" >&2
            exit 1
        fi
        new_key
        write_keys "${keys[0]}" "$key"
        echo "step 1 of 3 done: a new key is line 2 (decrypts, does not encrypt yet). Wait until every pod has it:" \
            "$propagation (certgate_tls_ticket_keys on each pod's /metrics then reads 2; 2 minutes is safe)." \
            "Then: $self ticket-keys promote" >&2
        ;;
    promote)
        [[ $# -eq 1 ]] || usage
        read_keys
        if ((${#keys[@]} != 2)); then
            echo "Secret $ticket_secret has ${#keys[@]} key(s), promote wants 2 (run '$self ticket-keys stage' first)" >&2
            exit 1
        fi
        write_keys "${keys[1]}" "${keys[0]}"
        echo "step 2 of 3 done: the new key is line 1 (encrypts), the old one line 2 (still decrypts). Wait" \
            "ticket-lifetime (2h in the kit's certgate.yaml) plus 2 minutes for the kubelet, so every ticket" \
            "issued under the old key has expired. Then: $self ticket-keys drop" >&2
        ;;
    drop)
        [[ $# -eq 1 ]] || usage
        read_keys
        if ((${#keys[@]} < 2)); then
            echo "Secret $ticket_secret has 1 key: nothing to drop" >&2
            exit 1
        fi
        write_keys "${keys[@]:0:${#keys[@]}-1}"
        echo "step 3 of 3 done: the last key is gone, $((${#keys[@]} - 1)) left; $propagation." \
            "A client still holding a ticket under it gets a full handshake, never an error." \
            "The next rotation starts with: $self ticket-keys stage" >&2
        ;;
    *)
        usage
        ;;
    esac
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
ticket-keys)
    shift
    ticket_keys "$@"
    ;;
*)
    usage
    ;;
esac
