# Component `nats` of test/cluster/build.sh (the recipe interface is described there):
#   nats-server    github.com/nats-io/nats-server/v2, pinned in go.mod (bump: go get <module>@<version> && go mod tidy)
NATS_VERSION="$(modver go.mod github.com/nats-io/nats-server/v2)"
[[ -n "$NATS_VERSION" ]] || die "cannot read the nats-server version from test/cluster/nats/go.mod"

recipe_version=1
binaries=(nats-server)
key_inputs=(go.mod go.sum recipe.sh)

cache_label() { echo "nats-server-${NATS_VERSION}"; }

build() {
  # serverVersion is what the release build stamps (the monitoring pages link to that tag); VERSION
  # itself is a constant of the module, so --version reports the pinned release either way.
  go_build -ldflags "-s -w -X github.com/nats-io/nats-server/v2/server.serverVersion=${NATS_VERSION}" \
    -o "$1/nats-server" github.com/nats-io/nats-server/v2
}

check() {
  local reported
  reported="$("$1/nats-server" --version)"
  echo "$reported"
  [[ "$reported" == "nats-server: ${NATS_VERSION}" ]] || die "nats-server reports '$reported', expected ${NATS_VERSION}"
}
