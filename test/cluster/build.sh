#!/usr/bin/env bash
# Builds (or reuses) the local control-plane binaries from Go modules, envtest style, without Docker:
#   etcd                       go.etcd.io/etcd/server/v3 (test/cluster/etcd)
#   kube-apiserver, kube-controller-manager, kube-scheduler
#                              k8s.io/kubernetes           (test/cluster/kubernetes)
#   kwok                       sigs.k8s.io/kwok             (test/cluster/kwok)
#
# The binaries are cached outside the repo, keyed by the pinned versions, the go.mod/go.sum files and the
# Go version: ${TAS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tas-mcp/cluster}/<key>/bin
# A warm run only checks that directory. Progress goes to stderr; the LAST line on stdout is the absolute
# bin dir. Safe to run concurrently (flock) and again after an interrupted run (builds into a temp dir
# and renames it into place when every binary is there).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[cluster-build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed to build the control plane)"

# Version of the module a go.mod requires, e.g. modver kubernetes/go.mod k8s.io/kubernetes -> v1.36.3
modver() {
  awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' "$here/$1"
}
K8S_VERSION="$(modver kubernetes/go.mod k8s.io/kubernetes)"
ETCD_VERSION="$(modver etcd/go.mod go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(modver kwok/go.mod sigs.k8s.io/kwok)"
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" && -n "$KWOK_VERSION" ]] || die "cannot read the pinned versions from test/cluster/*/go.mod"

GO_VERSION="$(go env GOVERSION)"
GOOS_GOARCH="$(go env GOOS)-$(go env GOARCH)"
# Bump when the build recipe (flags, stamping) changes, so old caches are not reused.
RECIPE=3
inputs_hash="$(cd "$here" && { echo "recipe=$RECIPE"; cat kubernetes/go.mod kubernetes/go.sum etcd/go.mod etcd/go.sum etcd/main.go kwok/go.mod kwok/go.sum; } | sha256sum | cut -c1-12)"
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${GO_VERSION}_${GOOS_GOARCH}_${inputs_hash}"
cache_root="${TAS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tas-mcp/cluster}"
dest="$cache_root/$key"
bin="$dest/bin"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

complete() {
  [[ -f "$bin/.complete" ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -f "$bin/kwok-stages.yaml" ]]
}

if complete; then
  log "cached: $bin"
  echo "$bin"
  exit 0
fi

mkdir -p "$dest"
exec 9>"$dest/.lock"
if ! flock -n 9; then
  log "another build holds $dest/.lock; waiting"
  flock 9
fi
if complete; then # built by the process we waited for
  log "cached: $bin"
  echo "$bin"
  exit 0
fi

tmp="$dest/bin.tmp.$$"
rm -rf "$dest"/bin.tmp.* "$bin"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Sane for a 2-core box: as many compile jobs as cores (at most 4), no DWARF/symbols (faster, smaller
# links), static binaries, no VCS stamping (the versions are stamped explicitly below).
jobs="${CLUSTER_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
((jobs > 4)) && jobs=4
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
common=(-p "$jobs" -trimpath)

log "building into $tmp (Go $GO_VERSION, -p $jobs; a cold build downloads ~1 GiB of modules and takes a while)"

# Release date of the pinned kubernetes module (reproducible buildDate), from the module proxy's .info.
build_date="$(cd "$here/kubernetes" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
[[ -n "$build_date" ]] || build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
k8s_major="${K8S_VERSION#v}"; k8s_major="${k8s_major%%.*}"
k8s_minor="${K8S_VERSION#v*.}"; k8s_minor="${k8s_minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
done

t0=$SECONDS
log "etcd $ETCD_VERSION"
(cd "$here/etcd" && go build "${common[@]}" -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$tmp/etcd" .)
log "etcd done ($((SECONDS - t0))s)"

t1=$SECONDS
log "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION"
(cd "$here/kubernetes" && go build "${common[@]}" -ldflags "$k8s_ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
log "kubernetes done ($((SECONDS - t1))s)"

t2=$SECONDS
log "kwok $KWOK_VERSION"
(cd "$here/kwok" && go build "${common[@]}" \
  -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
  -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok)
log "kwok done ($((SECONDS - t2))s)"

# kwok has no built-in stages (kwokctl normally hands them over): ship kwok's own default "fast" stages
# (node initialize + lease heartbeat, pod ready/complete/delete) from the same module version next to
# the binary; the harness passes them with --config.
kwok_dir="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$kwok_dir/kustomize/stage/$f" ]] || die "kwok stage $f not found in $kwok_dir"
    echo "---"
    cat "$kwok_dir/kustomize/stage/$f"
  done
} >"$tmp/kwok-stages.yaml"

for b in "${binaries[@]}"; do [[ -x "$tmp/$b" ]] || die "missing $b after the build"; done
"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version | head -1 >&2
cat >"$tmp/versions.env" <<EOF
K8S_VERSION=$K8S_VERSION
ETCD_VERSION=$ETCD_VERSION
KWOK_VERSION=$KWOK_VERSION
GO_VERSION=$GO_VERSION
EOF
touch "$tmp/.complete"
mv "$tmp" "$bin"
trap - EXIT
log "built in $((SECONDS - t0))s: $bin"
echo "$bin"
