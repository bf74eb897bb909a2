# Component `ghz` of test/cluster/build.sh (the recipe interface is described there):
#   ghz    github.com/bojand/ghz/cmd/ghz, pinned in go.mod (bump: go get -tool <module>/cmd/ghz@<version> && go mod tidy)
GHZ_VERSION="$(modver go.mod github.com/bojand/ghz)"
[[ -n "$GHZ_VERSION" ]] || die "cannot read the ghz version from test/cluster/ghz/go.mod"

recipe_version=1
binaries=(ghz)
key_inputs=(go.mod go.sum recipe.sh)

cache_label() { echo "ghz-${GHZ_VERSION}"; }

build() {
  # ghz prints main.version for --version (goreleaser stamps it; unset it says "dev").
  go_build -ldflags "-s -w -X main.version=${GHZ_VERSION}" -o "$1/ghz" github.com/bojand/ghz/cmd/ghz
}

check() {
  local reported
  reported="$("$1/ghz" --version 2>&1)"
  echo "$reported"
  [[ "$reported" == "${GHZ_VERSION}" ]] || die "ghz reports '$reported', expected ${GHZ_VERSION}"
}
