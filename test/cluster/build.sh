#!/usr/bin/env bash
# Builds (or reuses) the real servers and tools the tests and local runs need, from pinned Go modules
# (envtest style, without Docker), one COMPONENT at a time:
#   bash test/cluster/build.sh [COMPONENT ...]   no argument = control-plane
#   bash test/cluster/build.sh --all             every component the test suite needs (ALL below)
#   bash test/cluster/build.sh --binaries        lists "<component> <binary>" for every component (no build)
#
# A component is a folder test/cluster/<name>/ holding recipe.sh (and usually go.mod + go.sum pinning its
# module). Adding one = adding the folder (and its name to ALL if the suite needs it); nothing else here.
# build.sh sources recipe.sh in a subshell, in the component's folder, and expects it to define:
#   recipe_version=N         bump when the build steps change in a way key_inputs do not show
#   binaries=(a b)           executables the component puts in its bin dir
#   extra_files=(f)          optional: other files it puts there (checked like the binaries)
#   key_inputs=(go.mod ...)  files (relative to the folder) whose contents key the cache; list recipe.sh
#                            itself so a changed recipe rebuilds
#   cache_label()            prints the readable, version-bearing head of the cache key, e.g. nats-server-v2.15.2
#   build OUT                builds everything into the (empty) directory OUT
#   check OUT                prints the built versions (e.g. `OUT/x --version`); must fail if they are wrong
# and may use: go_build ARGS (go build with the shared flags), modver FILE MODULE (the version a go.mod
# pins), log MESSAGE, die MESSAGE, $GO_VERSION.
#
# Each component is cached on its own, outside the repo, keyed by its label, the Go version, the platform
# and a hash of recipe_version + key_inputs: ${TAS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tas-mcp/cluster}/<key>/bin
# So adding or bumping one component never rebuilds another. A warm run only checks the directory.
# Progress goes to stderr; stdout gets each named component's bin dir, one line each, in the order named,
# so the LAST stdout line is the bin dir of the last component named. Safe to run concurrently (a flock
# per component) and again after an interrupted run (builds into a temp dir, renamed into place when every
# file is there).
set -euo pipefail

# The components the test suite needs (.ci/run builds these).
ALL=(control-plane nats grpcurl argo helm ghz proto-tools go-client jaeger)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[cluster-build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  echo "usage: bash test/cluster/build.sh [--all | --binaries | COMPONENT ...]  (components: $(known_components | tr '\n' ' '))" >&2
  exit 2
}

known_components() {
  local recipe
  for recipe in "$here"/*/recipe.sh; do [[ -f "$recipe" ]] && basename "$(dirname "$recipe")"; done
}

# Version of the module a go.mod requires, e.g. modver ../kubernetes/go.mod k8s.io/kubernetes -> v1.36.3
modver() {
  awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' "$1"
}

# Loads test/cluster/<name>/recipe.sh into the current (sub)shell, in the component's folder, and checks
# that it defines what build.sh needs.
load_recipe() {
  local name="$1"
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ && -f "$here/$name/recipe.sh" ]] ||
    die "unknown component '$name': no test/cluster/$name/recipe.sh (components: $(known_components | tr '\n' ' '))"
  cd "$here/$name"
  recipe_version='' binaries=() extra_files=() key_inputs=()
  # shellcheck source=/dev/null
  source ./recipe.sh
  [[ -n "$recipe_version" ]] || die "test/cluster/$name/recipe.sh: recipe_version is not set"
  ((${#binaries[@]} > 0)) || die "test/cluster/$name/recipe.sh: binaries=() is empty"
  ((${#key_inputs[@]} > 0)) || die "test/cluster/$name/recipe.sh: key_inputs=() is empty"
  local fn f
  for fn in cache_label build check; do
    declare -F "$fn" >/dev/null || die "test/cluster/$name/recipe.sh: function $fn is not defined"
  done
  for f in "${key_inputs[@]}"; do [[ -f "$f" ]] || die "test/cluster/$name/recipe.sh: key input $f does not exist"; done
}

list_binaries() {
  local name b
  for name in $(known_components); do
    (
      load_recipe "$name"
      for b in "${binaries[@]}"; do printf '%s %s\n' "$name" "$b"; done
    )
  done
}

# Builds (or finds) one component; prints its bin dir on stdout. Runs in a subshell (see the caller).
build_component() {
  local name="$1"
  load_recipe "$name"
  local label inputs_hash key dest bin
  label="$(cache_label)"
  [[ -n "$label" && "$label" != *[/[:space:]]* ]] || die "$name: cache_label printed '$label' (non-empty, no slashes or spaces)"
  inputs_hash="$({ echo "recipe=$recipe_version"; cat "${key_inputs[@]}"; } | sha256sum | cut -c1-12)"
  key="${label}_${GO_VERSION}_${GOOS_GOARCH}_${inputs_hash}"
  dest="$cache_root/$key"
  bin="$dest/bin"

  complete() {
    [[ -f "$bin/.complete" ]] || return 1
    local f
    for f in "${binaries[@]}"; do [[ -x "$bin/$f" ]] || return 1; done
    for f in "${extra_files[@]}"; do [[ -f "$bin/$f" ]] || return 1; done
  }

  if complete; then
    log "$name: cached: $bin"
    echo "$bin"
    return 0
  fi

  mkdir -p "$dest"
  exec 9>"$dest/.lock"
  if ! flock -n 9; then
    log "$name: another build holds $dest/.lock; waiting"
    flock 9
  fi
  if complete; then # built by the process we waited for
    log "$name: cached: $bin"
    echo "$bin"
    return 0
  fi

  tmp="$dest/bin.tmp.$$"
  rm -rf "$dest"/bin.tmp.* "$bin"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT

  local t0=$SECONDS f
  log "$name: building $label into $tmp (Go $GO_VERSION, -p $jobs)"
  build "$tmp"
  for f in "${binaries[@]}"; do [[ -x "$tmp/$f" ]] || die "$name: $f is missing after the build"; done
  for f in "${extra_files[@]}"; do [[ -f "$tmp/$f" ]] || die "$name: $f is missing after the build"; done
  log "$name: checking the built binaries"
  check "$tmp" >&2
  touch "$tmp/.complete"
  mv "$tmp" "$bin"
  trap - EXIT
  log "$name: built in $((SECONDS - t0))s: $bin"
  echo "$bin"
}

components=()
case "${1:-}" in
  --binaries) (($# == 1)) || usage; list_binaries; exit 0 ;;
  --all) (($# == 1)) || usage; components=("${ALL[@]}") ;;
  -h | --help) usage ;;
  -*) usage ;;
  '') components=(control-plane) ;;
  *) components=("$@") ;;
esac

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed to build ${components[*]})"
GO_VERSION="$(go env GOVERSION)"
GOOS_GOARCH="$(go env GOOS)-$(go env GOARCH)"
cache_root="${TAS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tas-mcp/cluster}"

# Sane for a 2-core box: as many compile jobs as cores (at most 4), no DWARF/symbols (recipes pass -s -w:
# faster, smaller links), static binaries, no VCS stamping (recipes stamp versions explicitly).
jobs="${CLUSTER_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
((jobs > 4)) && jobs=4
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
go_build() { go build -p "$jobs" -trimpath "$@"; }

started=$SECONDS
for name in "${components[@]}"; do
  (build_component "$name")
done
((${#components[@]} > 1)) && log "${components[*]}: ready in $((SECONDS - started))s"
exit 0
