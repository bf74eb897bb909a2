# Component `control-plane` of test/cluster/build.sh (the recipe interface is described there):
#   etcd                       go.etcd.io/etcd/server/v3 (test/cluster/etcd)
#   kube-apiserver, kube-controller-manager, kube-scheduler
#                              k8s.io/kubernetes         (test/cluster/kubernetes; re-pin with pin.sh)
#   kwok                       sigs.k8s.io/kwok          (test/cluster/kwok)
#   kwok-stages.yaml           kwok's default "fast" stages, from the same kwok module
# Three modules, kept in their own folders so each keeps the dependency versions it was released with.
# recipe.sh is deliberately not a key input: the key is the one build.sh used before it had components,
# so existing caches stay valid. Bump recipe_version when the steps below change.

K8S_VERSION="$(modver ../kubernetes/go.mod k8s.io/kubernetes)"
ETCD_VERSION="$(modver ../etcd/go.mod go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(modver ../kwok/go.mod sigs.k8s.io/kwok)"
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" && -n "$KWOK_VERSION" ]] || die "cannot read the pinned versions from test/cluster/{kubernetes,etcd,kwok}/go.mod"

recipe_version=3
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
extra_files=(kwok-stages.yaml versions.env)
key_inputs=(../kubernetes/go.mod ../kubernetes/go.sum ../etcd/go.mod ../etcd/go.sum ../etcd/main.go ../kwok/go.mod ../kwok/go.sum)

cache_label() { echo "k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"; }

build() {
  local out="$1" t
  log "a cold control-plane build downloads ~1 GiB of modules and takes a while"

  # Release date of the pinned kubernetes module (reproducible buildDate), from the module proxy's .info.
  local build_date
  build_date="$(cd ../kubernetes && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
  [[ -n "$build_date" ]] || build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local k8s_major="${K8S_VERSION#v}" k8s_minor="${K8S_VERSION#v*.}" pkg k8s_ldflags="-s -w"
  k8s_major="${k8s_major%%.*}" k8s_minor="${k8s_minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
    k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
  done

  t=$SECONDS
  log "etcd $ETCD_VERSION"
  (cd ../etcd && go_build -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$out/etcd" .)
  log "etcd done ($((SECONDS - t))s)"

  t=$SECONDS
  log "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION"
  (cd ../kubernetes && go_build -ldflags "$k8s_ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
  log "kubernetes done ($((SECONDS - t))s)"

  t=$SECONDS
  log "kwok $KWOK_VERSION"
  (cd ../kwok && go_build -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  log "kwok done ($((SECONDS - t))s)"

  # kwok has no built-in stages (kwokctl normally hands them over): ship kwok's own default "fast" stages
  # (node initialize + lease heartbeat, pod ready/complete/delete) from the same module version next to
  # the binary; the harness passes them with --config.
  local kwok_dir f
  kwok_dir="$(cd ../kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$kwok_dir/kustomize/stage/$f" ]] || die "kwok stage $f not found in $kwok_dir"
    echo "---"
    cat "$kwok_dir/kustomize/stage/$f"
  done >"$out/kwok-stages.yaml"

  cat >"$out/versions.env" <<EOV
K8S_VERSION=$K8S_VERSION
ETCD_VERSION=$ETCD_VERSION
KWOK_VERSION=$KWOK_VERSION
GO_VERSION=$GO_VERSION
EOV
}

check() {
  local out="$1"
  "$out/kube-apiserver" --version | grep -qx "Kubernetes $K8S_VERSION" || die "kube-apiserver does not report $K8S_VERSION"
  "$out/kube-apiserver" --version
  "$out/etcd" --version | head -1
}
