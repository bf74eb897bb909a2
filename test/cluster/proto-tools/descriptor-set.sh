#!/usr/bin/env bash
# Compiles proto/ (and the standard health service the gateway serves beside it) with buf into one
# google.protobuf.FileDescriptorSet: what the gateway serves over server reflection, with the
# descriptors exactly as protoc writes them (map entries `MetadataEntry`, fully qualified type
# names, comments). `make descriptor-set` writes proto/descriptor-set.binpb; the e2e test
# test/e2e/descriptor-set.test.ts writes a fresh one elsewhere and fails if the committed one differs.
#   bash test/cluster/proto-tools/descriptor-set.sh [OUT]    (default: proto/descriptor-set.binpb)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="${1:-$root/proto/descriptor-set.binpb}"
bin="${TAS_PROTO_TOOLS_BIN_DIR:-$(bash "$root/test/cluster/build.sh" proto-tools | tail -n 1)}"
health="$root/node_modules/grpc-health-check/proto"
[[ -f "$health/health/v1/health.proto" ]] || { echo "descriptor-set.sh: $health/health/v1/health.proto is missing (run npm ci)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# buf keeps no state for a local build; its cache goes in the temp dir so nothing else is touched.
export BUF_CACHE_DIR="$tmp/cache"
"$bin/buf" build "$root/proto" --output "$tmp/mcp.binpb"
"$bin/buf" build "$health" --output "$tmp/health.binpb"
# Two FileDescriptorSets end to end are one (a repeated field's entries simply add up).
cat "$tmp/mcp.binpb" "$tmp/health.binpb" >"$tmp/set.binpb"
mv "$tmp/set.binpb" "$out"
echo "wrote $out ($(wc -c <"$out") bytes)" >&2
