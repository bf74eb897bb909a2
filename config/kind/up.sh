#!/usr/bin/env bash
# `make kind-up`: a local kind cluster with the product images loaded (needs Docker and kind; not
# available on the CI machine, which uses the Docker-free control plane from test/cluster instead).
#   KIND_CLUSTER_NAME  cluster name (default tas-mcp)
#   KIND_NODE_IMAGE    node image, e.g. kindest/node:v1.36.3 (default: kind's own default)
#   KIND_IMAGES        images to load (default: "tas-mcp/gateway:dev tas-mcp/operator:dev")
set -euo pipefail

name="${KIND_CLUSTER_NAME:-tas-mcp}"
images=(${KIND_IMAGES:-tas-mcp/gateway:dev tas-mcp/operator:dev})
log() { printf '[kind-up] %s\n' "$*" >&2; }

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { log "ERROR: $tool is not installed (kind-up needs Docker, kind and kubectl)"; exit 1; }
done
docker info >/dev/null 2>&1 || { log "ERROR: cannot talk to the Docker daemon"; exit 1; }

if kind get clusters 2>/dev/null | grep -qx "$name"; then
  log "cluster $name already exists; reusing it"
else
  args=(create cluster --name "$name" --wait 120s)
  [[ -n "${KIND_NODE_IMAGE:-}" ]] && args+=(--image "$KIND_NODE_IMAGE")
  log "kind ${args[*]}"
  kind "${args[@]}"
fi

for image in "${images[@]}"; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    log "ERROR: image $image not found locally; build it first"
    exit 1
  fi
  log "loading $image"
  kind load docker-image --name "$name" "$image"
done

kubectl --context "kind-$name" get nodes >&2
log "ready: kubectl --context kind-$name ..."
echo "kind-$name"
