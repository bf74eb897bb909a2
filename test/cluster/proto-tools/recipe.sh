# Component `proto-tools` of test/cluster/build.sh (the recipe interface is described there):
#   buf                   github.com/bufbuild/buf/cmd/buf, pinned in buf/go.mod
#   protoc-gen-go         google.golang.org/protobuf/cmd/protoc-gen-go, pinned in go-plugins/go.mod
#   protoc-gen-go-grpc    google.golang.org/grpc/cmd/protoc-gen-go-grpc, pinned in go-plugins/go.mod
# (bump: cd <dir> && go get -tool <module>/cmd/<tool>@<version> && go mod tidy)
BUF_VERSION="$(modver buf/go.mod github.com/bufbuild/buf)"
PROTOBUF_VERSION="$(modver go-plugins/go.mod google.golang.org/protobuf)"
GO_GRPC_VERSION="$(modver go-plugins/go.mod google.golang.org/grpc/cmd/protoc-gen-go-grpc)"
[[ -n "$BUF_VERSION" && -n "$PROTOBUF_VERSION" && -n "$GO_GRPC_VERSION" ]] ||
  die "cannot read the buf / protobuf / protoc-gen-go-grpc versions from test/cluster/proto-tools/*/go.mod"

recipe_version=1
binaries=(buf protoc-gen-go protoc-gen-go-grpc)
key_inputs=(buf/go.mod buf/go.sum go-plugins/go.mod go-plugins/go.sum recipe.sh)

cache_label() { echo "buf-${BUF_VERSION}-protobuf-${PROTOBUF_VERSION}-go-grpc-${GO_GRPC_VERSION}"; }

build() {
  # Each tool reports the version compiled into its module, so nothing needs stamping.
  (cd buf && go_build -ldflags "-s -w" -o "$1/buf" github.com/bufbuild/buf/cmd/buf)
  (cd go-plugins && go_build -ldflags "-s -w" -o "$1/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &&
    go_build -ldflags "-s -w" -o "$1/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc)
}

check() {
  local buf gen grpc
  buf="$("$1/buf" --version 2>&1)"
  gen="$("$1/protoc-gen-go" --version 2>&1)"
  grpc="$("$1/protoc-gen-go-grpc" --version 2>&1)"
  printf '%s\n' "buf $buf" "$gen" "$grpc"
  [[ "v$buf" == "$BUF_VERSION" ]] || die "buf reports '$buf', expected ${BUF_VERSION}"
  [[ "$gen" == "protoc-gen-go $PROTOBUF_VERSION" ]] || die "protoc-gen-go reports '$gen', expected ${PROTOBUF_VERSION}"
  [[ "$grpc" == "protoc-gen-go-grpc ${GO_GRPC_VERSION#v}" ]] || die "protoc-gen-go-grpc reports '$grpc', expected ${GO_GRPC_VERSION}"
}
