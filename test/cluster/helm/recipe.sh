# Component `helm` of test/cluster/build.sh (the recipe interface is described there):
#   helm    helm.sh/helm/v4/cmd/helm, pinned in go.mod (bump: go get helm.sh/helm/v4/cmd/helm@<version> && go mod tidy)
# The chart tests (test/integration/charts) run `helm lint` and `helm template` with it.
HELM_VERSION="$(modver go.mod helm.sh/helm/v4)"
[[ -n "$HELM_VERSION" ]] || die "cannot read the helm version from test/cluster/helm/go.mod"

recipe_version=1
binaries=(helm)
key_inputs=(go.mod go.sum recipe.sh)

cache_label() { echo "helm-${HELM_VERSION}"; }

build() {
  # helm's own release build stamps internal/version.version; unset, `helm version` says v4.3.
  go_build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" -o "$1/helm" helm.sh/helm/v4/cmd/helm
}

check() {
  local reported
  reported="$("$1/helm" version --template '{{.Version}}')"
  echo "helm $reported"
  [[ "$reported" == "$HELM_VERSION" ]] || die "helm reports '$reported', expected ${HELM_VERSION}"
}
