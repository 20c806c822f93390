#!/usr/bin/env bash
# Builds h2spec (https://github.com/summerwind/h2spec) from a local copy of its source with Debian's Go
# and Debian's packaged Go libraries, without downloading any Go module:
#
#   Tests/integration/h2spec_build.sh SRC      # prints the path of the binary
#
# SRC is a checkout (a directory with cmd/h2spec) or a git directory (HEAD is used). The source itself
# must come from elsewhere: it is not packaged by Debian and the build machines reach no git host.
# Needs: apt-get install golang-go golang-golang-x-net-dev golang-github-spf13-cobra-dev
# golang-github-fatih-color-dev. h2spec's go.mod pins 2016-2019 versions of these; Debian 12 has newer
# ones (x/net 0.7.0, cobra 1.6.1, color 1.7.0) that still build it, in GOPATH mode (GO111MODULE=off)
# against /usr/share/gocode. The binary is cached in ${H2SPEC_CACHE:-/tmp/certgate-h2spec}.
set -euo pipefail

src=${1:?usage: h2spec_build.sh SRC}
cache=${H2SPEC_CACHE:-/tmp/certgate-h2spec}
die() { echo "h2spec_build.sh: $*" >&2; exit 1; }

command -v go >/dev/null || die "no go (apt-get install golang-go golang-golang-x-net-dev golang-github-spf13-cobra-dev golang-github-fatih-color-dev)"
for d in golang.org/x/net/http2 github.com/spf13/cobra github.com/fatih/color; do
  [ -d "/usr/share/gocode/src/$d" ] || die "missing /usr/share/gocode/src/$d (Debian golang-*-dev packages, see the header)"
done

if [ -d "$src/cmd/h2spec" ]; then
  id=$(cd "$src" && find . -name '*.go' -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)
elif id=$(git --git-dir="$src" rev-parse --verify -q HEAD 2>/dev/null) || id=$(git -C "$src" rev-parse --verify -q HEAD 2>/dev/null); then
  :
else
  die "$src is neither an h2spec checkout nor a git directory"
fi
out="$cache/h2spec-${id:0:16}"
if [ -x "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
gopath=$(mktemp -d "$cache/gopath.XXXXXX")
trap 'rm -rf "$gopath"' EXIT
dest="$gopath/src/github.com/summerwind/h2spec"
mkdir -p "$dest"
if [ -d "$src/cmd/h2spec" ]; then
  cp -r "$src/." "$dest/"
elif git --git-dir="$src" rev-parse -q HEAD >/dev/null 2>&1; then
  git --git-dir="$src" archive HEAD | tar -x -C "$dest"
else
  git -C "$src" archive HEAD | tar -x -C "$dest"
fi
(
  cd "$dest"
  GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$cache/gocache" GOFLAGS= \
    go build -o "$out.tmp" ./cmd/h2spec
) >&2 || die "go build failed"
mv "$out.tmp" "$out"
echo "$out"
