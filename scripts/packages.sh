# shellcheck shell=bash
# scripts/packages.sh: installs missing Debian packages. Sourced by scripts/run and scripts/test, which
# define `say` and `die` first.
#
#   ensure_packages PACKAGE...
#
# Checks each package with dpkg and installs only the missing ones (`apt-get update` first, and only
# then). Works as root, or through sudo when not root. CERTGATE_SKIP_APT=1 skips the check, for systems
# without apt where the packages were installed by other means.

package_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

ensure_packages() {
    if [[ ${CERTGATE_SKIP_APT:-} == 1 ]]; then
        say "CERTGATE_SKIP_APT=1: not checking system packages ($*)"
        return
    fi
    command -v dpkg >/dev/null ||
        die "dpkg not found: packages are installed with apt (Debian/Ubuntu); install $* yourself and rerun with CERTGATE_SKIP_APT=1"

    local missing=() package
    for package in "$@"; do
        package_installed "$package" || missing+=("$package")
    done
    ((${#missing[@]} > 0)) || return 0

    local as_root=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null ||
            die "missing packages: ${missing[*]}; not root and sudo is not installed: run 'apt-get install ${missing[*]}' as root"
        as_root=(sudo)
    fi
    say "installing missing packages: ${missing[*]}"
    "${as_root[@]}" apt-get -q update || die "apt-get update failed"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
}
