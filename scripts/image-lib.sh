# Shared by scripts/image and scripts/image-test (sourced): picks the container engine and sets it up.
#
#   ENGINE        the command: "docker" when a docker daemon answers, else "podman"
#   ENGINE_ARGS   global flags for it (for podman here: --runtime runc)
#   image_engine  "$ENGINE" "${ENGINE_ARGS[@]}" "$@"
#
# podman on this machine kind (docs/deployment.md, "Container image") needs the runc runtime (crun fails with
# "cgroups in hybrid mode not supported") and lower default ulimits than its built-in ones (this sandbox's
# hard limits refuse them: "setrlimit ... Operation not permitted"). Both go into a containers.conf of our
# own under .build-image/, passed through CONTAINERS_CONF, so the system's configuration is left alone.

IMAGE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE_WORK=${CERTGATE_IMAGE_WORK:-$IMAGE_ROOT/.build-image}
IMAGE_TAG=${CERTGATE_IMAGE:-localhost/certgate:dev}
ENGINE=
ENGINE_ARGS=()

image_note() { echo "image: $*" >&2; }

image_engine() { "$ENGINE" "${ENGINE_ARGS[@]}" "$@"; }

# Installs the Debian packages named when their commands are missing and we are root with apt-get.
# Returns 1 (with a message) when they cannot be installed.
image_install() {
  local missing=() pkg
  for pkg in "$@"; do
    local cmd=${pkg%%:*} package=${pkg#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    image_note "missing ${missing[*]} and cannot install them (needs root and apt-get)"
    return 1
  fi
  image_note "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 || {
    image_note "apt-get install ${missing[*]} failed"
    return 1
  }
}

# Chooses and prepares the engine. Returns 1 when no container runtime is usable or installable.
image_select_engine() {
  if [ "${CERTGATE_ENGINE:-}" != podman ] && command -v docker >/dev/null 2>&1 \
    && docker info >/dev/null 2>&1; then
    ENGINE=docker
    return 0
  fi
  image_install podman:podman runc:runc || return 1
  mkdir -p "$IMAGE_WORK"
  cat >"$IMAGE_WORK/containers.conf" <<'EOF'
# Written by scripts/image: podman settings that work on this machine kind.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$IMAGE_WORK/containers.conf"
  ENGINE=podman
  ENGINE_ARGS=(--runtime runc)
  if ! image_engine info >/dev/null 2>"$IMAGE_WORK/podman-info.err"; then
    image_note "podman does not run here: $(tail -1 "$IMAGE_WORK/podman-info.err")"
    return 1
  fi
}
