# Component `go-client` of test/cluster/build.sh (the recipe interface is described there):
#   mcp-go-client    this folder's client.go, with Go code generated from proto/mcp/v1/mcp.proto and
#                    proto/mcp.proto by protoc-gen-go and protoc-gen-go-grpc (component proto-tools, run by buf)
GRPC_VERSION="$(modver go.mod google.golang.org/grpc)"
PROTOBUF_VERSION="$(modver go.mod google.golang.org/protobuf)"
[[ -n "$GRPC_VERSION" && -n "$PROTOBUF_VERSION" ]] || die "cannot read the grpc / protobuf versions from test/cluster/go-client/go.mod"

recipe_version=1
binaries=(mcp-go-client)
# The protos and the generators' pins key it too: a changed .proto or generator rebuilds the client.
key_inputs=(go.mod go.sum client.go recipe.sh ../../../proto/mcp/v1/mcp.proto ../../../proto/mcp.proto ../proto-tools/go-plugins/go.mod)

cache_label() { echo "mcp-go-client-grpc-${GRPC_VERSION}-protobuf-${PROTOBUF_VERSION}"; }

build() {
  local out="$1"
  # A subshell, so the work dir is removed however the build ends (build.sh keeps its own EXIT trap).
  (
    module=tas.ai/test/cluster/go-client
    tools="$(bash "$here/build.sh" proto-tools | tail -n 1)"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    cp go.mod go.sum client.go "$work/"
    # Generated into the import paths client.go uses (mcp/v1/mcp.proto's go_package names the reference's module).
    m="Mmcp/v1/mcp.proto=$module/gen/mcpv1,Mmcp.proto=$module/gen/mcp"
    template="$(printf '{"version":"v2","plugins":[{"local":"%s","out":".","opt":["module=%s","%s"]},{"local":"%s","out":".","opt":["module=%s","%s"]}]}' \
      "$tools/protoc-gen-go" "$module" "$m" "$tools/protoc-gen-go-grpc" "$module" "$m")"
    proto="$here/../../proto"
    cd "$work"
    BUF_CACHE_DIR="$work/.buf" "$tools/buf" generate "$proto" --path "$proto/mcp/v1/mcp.proto" --path "$proto/mcp.proto" --template "$template"
    go_build -ldflags "-s -w" -o "$out/mcp-go-client" .
  )
}

check() {
  local reported expected="mcp-go-client (google.golang.org/grpc ${GRPC_VERSION}, google.golang.org/protobuf ${PROTOBUF_VERSION})"
  reported="$("$1/mcp-go-client" -version)"
  echo "$reported"
  [[ "$reported" == "$expected" ]] || die "mcp-go-client reports '$reported', expected '$expected'"
}
