# Component `grpcurl` of test/cluster/build.sh (the recipe interface is described there):
#   grpcurl    github.com/fullstorydev/grpcurl/cmd/grpcurl, pinned in go.mod (bump: go get <module>@<version> && go mod tidy)
GRPCURL_VERSION="$(modver go.mod github.com/fullstorydev/grpcurl)"
[[ -n "$GRPCURL_VERSION" ]] || die "cannot read the grpcurl version from test/cluster/grpcurl/go.mod"

recipe_version=1
binaries=(grpcurl)
key_inputs=(go.mod go.sum recipe.sh)

cache_label() { echo "grpcurl-${GRPCURL_VERSION}"; }

build() {
  # grpcurl prints main.version for -version (and sends it in its user agent); unset it says "dev build".
  go_build -ldflags "-s -w -X main.version=${GRPCURL_VERSION}" -o "$1/grpcurl" github.com/fullstorydev/grpcurl/cmd/grpcurl
}

check() {
  local reported
  reported="$("$1/grpcurl" -version 2>&1)"
  echo "$reported"
  [[ "$reported" == "grpcurl ${GRPCURL_VERSION}" ]] || die "grpcurl reports '$reported', expected ${GRPCURL_VERSION}"
}
