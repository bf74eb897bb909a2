# Component `jaeger` of test/cluster/build.sh (the recipe interface is described there):
#   jaeger    github.com/jaegertracing/jaeger/cmd/jaeger (Jaeger v2), pinned in go.mod
#             (bump: go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@<version> && go mod tidy)
# The module's v1.x tags carry Jaeger v2's binary too (each release commit is tagged v1.N and v2.M, and
# only the v1 tags are valid versions of this module path), so it reports the v1 tag it was built from.
JAEGER_MODULE_VERSION="$(modver go.mod github.com/jaegertracing/jaeger)"
[[ -n "$JAEGER_MODULE_VERSION" ]] || die "cannot read the jaeger version from test/cluster/jaeger/go.mod"

recipe_version=1
binaries=(jaeger)
key_inputs=(go.mod go.sum recipe.sh)

cache_label() { echo "jaeger-${JAEGER_MODULE_VERSION}"; }

build() {
  # latestVersion is what Jaeger's release build stamps (its `version` command prints it).
  go_build -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${JAEGER_MODULE_VERSION}" \
    -o "$1/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger
}

check() {
  local reported
  reported="$("$1/jaeger" version 2>/dev/null)"
  echo "$reported"
  [[ "$reported" == *"\"gitVersion\":\"${JAEGER_MODULE_VERSION}\""* ]] ||
    die "jaeger reports '$reported', expected gitVersion ${JAEGER_MODULE_VERSION}"
}
